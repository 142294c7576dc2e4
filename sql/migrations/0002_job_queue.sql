-- The sharded job queue (issue 3).
--
-- Every key of a sharded table starts with `shard` so the tables can be distributed by shard
-- (Citus: SELECT create_distributed_table('alert', 'shard'), and the same for the others) without
-- a schema change. `alert_key` is sharded by a hash of (source, external_id), `key_shard`, so the
-- idempotency check works whichever shard the alert itself routes to.

-- The shard count S is fixed when the cluster is created (`vigil migrate --shards N`).
ALTER TABLE cluster ADD COLUMN shard_count integer CHECK (shard_count BETWEEN 1 AND 65536);

CREATE TABLE alert (
    shard integer NOT NULL,
    id uuid NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL,
    kind text NOT NULL,
    severity text NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    principal text,
    resource text,
    account text,
    source_ip inet,
    payload jsonb NOT NULL,
    PRIMARY KEY (shard, id)
);
CREATE INDEX alert_received ON alert (shard, received_at);
-- Look-ups by id alone (GET /v1/alerts/{id}); not unique, so it distributes with the table.
CREATE INDEX alert_id ON alert (id);

CREATE TABLE alert_key (
    key_shard integer NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL,
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    PRIMARY KEY (key_shard, source, external_id)
);

-- The hot table: a job lives here only while it is ready or running. Finishing it deletes the row
-- in the transaction that writes its verdict, so the table stays small; fillfactor leaves room for
-- HOT updates of claim/heartbeat, and autovacuum runs early and unthrottled.
CREATE TABLE triage_job (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running')),
    attempt integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    run_at timestamptz NOT NULL DEFAULT now(),
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    owner text,
    lease_epoch bigint,
    lease_expires_at timestamptz,
    previous_delay_ms bigint,
    last_error text,
    PRIMARY KEY (shard, alert_id)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 2000,
    autovacuum_vacuum_insert_scale_factor = 0.0,
    autovacuum_vacuum_insert_threshold = 5000,
    autovacuum_analyze_scale_factor = 0.05,
    autovacuum_vacuum_cost_delay = 0
);
CREATE INDEX triage_job_ready ON triage_job (shard, run_at) WHERE state = 'ready';
CREATE INDEX triage_job_running ON triage_job (lease_expires_at) WHERE state = 'running';

-- Exactly one current verdict per alert.
CREATE TABLE verdict (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    decision text NOT NULL CHECK (decision IN ('ESCALATE', 'MONITOR', 'CLOSE')),
    confidence double precision,
    rationale text NOT NULL,
    decided_by text NOT NULL,
    guardrails text[] NOT NULL DEFAULT '{}',
    flags text[] NOT NULL DEFAULT '{}',
    evidence jsonb NOT NULL DEFAULT '[]',
    recommended_action text,
    triage jsonb NOT NULL DEFAULT '{}',
    worker text NOT NULL,
    lease_epoch bigint NOT NULL,
    attempt integer NOT NULL,
    enqueued_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, alert_id)
);
CREATE INDEX verdict_decision ON verdict (shard, decision, created_at);

CREATE TABLE dead_job (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    attempts integer NOT NULL,
    last_error text NOT NULL,
    enqueued_at timestamptz NOT NULL,
    died_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, alert_id)
);

CREATE TABLE worker (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draining'))
);

CREATE TABLE shard_lease (
    shard integer PRIMARY KEY,
    owner text,
    epoch bigint NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);

-- Bearer tokens, stored as SHA-256 hex of the token; the token itself is shown once.
CREATE TABLE api_token (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE,
    token_sha256 text NOT NULL UNIQUE,
    scopes text[] NOT NULL CHECK (scopes <@ ARRAY['ingest', 'read', 'review', 'admin']::text[] AND cardinality(scopes) > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);

-- Counters the maintenance loop and workers keep (stale completions discarded, jobs rescued, …).
CREATE TABLE queue_counter (
    name text PRIMARY KEY,
    value bigint NOT NULL DEFAULT 0
);
