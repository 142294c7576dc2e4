-- Review of escalations (issue 8): the analyst's state of each escalation, an append-only audit log of
-- every review action, and review-console sessions.
--
-- An escalation is a verdict with decision ESCALATE. Its review state lives beside the verdict (never in
-- it: the verdict is the machine's, the review is the humans'). No row means "open, version 0"; the first
-- action inserts the row at version 1 and every later action bumps `version` under a compare-and-set, so
-- two analysts acting on the same version cannot both win (the loser gets 409, nothing is lost).

CREATE TABLE escalation_review (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'acknowledged', 'closed')),
    assignee text,
    -- The containment a named human approved: a copy of the verdict's recommended_action at that moment.
    -- Vigil executes nothing; the approval is a record for the team's own tooling.
    approved_action text,
    approved_by text,
    approved_at timestamptz,
    close_reason text CHECK (state <> 'closed' OR length(btrim(close_reason)) > 0),
    version bigint NOT NULL CHECK (version >= 1),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, alert_id)
);

-- The escalation queue reads newest first across shards.
CREATE INDEX verdict_escalation ON verdict (created_at DESC, alert_id DESC) WHERE decision = 'ESCALATE';

-- Every review action: who, when, what, and the state before and after. Append-only: UPDATE, DELETE
-- and TRUNCATE are refused by triggers (for every role, the owner included), and the application
-- roles (0008) get only INSERT and SELECT on it.
CREATE TABLE review_audit (
    shard integer NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    alert_id uuid NOT NULL,
    actor text NOT NULL,
    actor_token uuid,
    action text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    previous jsonb NOT NULL,
    new jsonb NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (shard, id)
);
CREATE INDEX review_audit_alert ON review_audit (shard, alert_id, id);

CREATE FUNCTION review_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'review_audit is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER review_audit_no_change BEFORE UPDATE OR DELETE ON review_audit
    FOR EACH ROW EXECUTE FUNCTION review_audit_append_only();
CREATE TRIGGER review_audit_no_truncate BEFORE TRUNCATE ON review_audit
    FOR EACH STATEMENT EXECUTE FUNCTION review_audit_append_only();

-- Review-console sessions: the cookie holds a random id, the table its SHA-256 (a stolen table
-- yields no usable cookie), the token it was opened with, and the CSRF token its forms carry.
CREATE TABLE review_session (
    id_sha256 text PRIMARY KEY,
    token_id uuid NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX review_session_expiry ON review_session (expires_at);
