-- The cluster-wide LLM rate limit: one row of token buckets per (provider, model).
--
-- Workers take permits in small chunks (one statement, the row locked for its duration), so most model calls need
-- no round trip here. Buckets refill continuously at their per-minute limit up to burst_seconds of refill and may go
-- negative (debt) when actual usage exceeded an estimate. A 429's retry-after sets paused_until for every worker.
CREATE TABLE llm_rate_limit (
    provider text NOT NULL,
    model text NOT NULL,
    requests_per_minute double precision NOT NULL CHECK (requests_per_minute > 0),
    input_tokens_per_minute double precision NOT NULL CHECK (input_tokens_per_minute > 0),
    output_tokens_per_minute double precision NOT NULL CHECK (output_tokens_per_minute > 0),
    burst_seconds double precision NOT NULL DEFAULT 60 CHECK (burst_seconds > 0 AND burst_seconds <= 60),
    requests_available double precision NOT NULL,
    input_tokens_available double precision NOT NULL,
    output_tokens_available double precision NOT NULL,
    refilled_at timestamptz NOT NULL DEFAULT now(),
    paused_until timestamptz,
    -- Totals granted since the row was created, for operators and tests.
    requests_granted bigint NOT NULL DEFAULT 0,
    pauses bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, model)
);
