-- Least privilege (issue 8): NOLOGIN group roles for each Vigil process, with only the grants each needs
-- on this schema. Operators create login users IN ROLE one of them:
--
--   CREATE ROLE vigil_worker_1 LOGIN PASSWORD '…' IN ROLE vigil_worker;
--
-- Roles are cluster-global, grants are per schema: the roles are created once (if missing, tolerating a
-- concurrent creator) and every schema migrated grants them its own tables, so several Vigil schemas in one
-- cluster (or parallel test schemas) never collide. Migrating needs CREATEROLE only the first time; without
-- it and without the roles, the migration warns and leaves grants to the DBA.
--
-- Numbered after the other migrations so "ALL TABLES" below covers every table that exists when it runs;
-- a later migration that adds a table grants on it itself.
--
-- vigil_coordinator  ingest (alert, alert_key, triage_job inserts through a temporary staging table), status
--                    reads, token verification, the review API and console.
-- vigil_worker       the queue (claim, heartbeat, complete, retry, dead-letter, rescue), leases, worker
--                    registry, rate-limit buckets, and reads of alerts and enrichment data. No api_token, no
--                    review tables: a compromised worker can neither mint access nor forge or erase the audit.
-- vigil_reviewer     a review-only process: reads alerts and verdicts, verifies tokens, writes review state,
--                    audit records and sessions. No job tables.
DO $roles$
DECLARE
    role_name text;
    schema_name text := current_schema();
    missing text[] := '{}';
BEGIN
    FOREACH role_name IN ARRAY ARRAY['vigil_coordinator', 'vigil_worker', 'vigil_reviewer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently by another schema's migration
                WHEN insufficient_privilege THEN missing := missing || role_name;
            END;
        END IF;
    END LOOP;
    IF cardinality(missing) > 0 THEN
        RAISE WARNING 'roles % are missing and this user may not create them: no grants made', missing;
        RETURN;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA %I TO vigil_coordinator, vigil_worker, vigil_reviewer', schema_name);

    -- Coordinator: reads everything it reports on; writes ingest and review.
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO vigil_coordinator', schema_name);
    GRANT INSERT ON alert, alert_key, triage_job TO vigil_coordinator;
    GRANT INSERT, UPDATE ON escalation_review TO vigil_coordinator;
    GRANT INSERT ON review_audit TO vigil_coordinator;
    GRANT INSERT, UPDATE, DELETE ON review_session TO vigil_coordinator;
    -- The webhook delivery loop runs in the coordinator (migration 6): it registers subscriptions, works the
    -- outbox and dead-letters what cannot be delivered.
    GRANT INSERT, UPDATE ON webhook_subscription TO vigil_coordinator;
    GRANT INSERT, UPDATE, DELETE ON webhook_outbox TO vigil_coordinator;
    GRANT INSERT ON webhook_dead_letter TO vigil_coordinator;

    -- Worker: everything readable except credentials and the humans' review data; writes the queue.
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO vigil_worker', schema_name);
    REVOKE ALL ON api_token, review_session, review_audit, escalation_review FROM vigil_worker;
    GRANT INSERT, UPDATE, DELETE ON triage_job, worker, shard_lease, llm_rate_limit TO vigil_worker;
    GRANT INSERT, UPDATE ON verdict, queue_counter TO vigil_worker;
    GRANT INSERT, UPDATE, DELETE ON dead_job TO vigil_worker;
    -- The completion statement also writes the MONITOR watch list and the webhook outbox (migration 6).
    GRANT INSERT, UPDATE, DELETE ON monitor_watch TO vigil_worker;
    GRANT INSERT ON webhook_outbox TO vigil_worker;

    -- Reviewer: alerts, verdicts and review data; no job tables.
    GRANT SELECT ON cluster, schema_migrations, alert, verdict, api_token, escalation_review, review_audit, review_session
        TO vigil_reviewer;
    GRANT INSERT, UPDATE ON escalation_review TO vigil_reviewer;
    GRANT INSERT ON review_audit TO vigil_reviewer;
    GRANT INSERT, UPDATE, DELETE ON review_session TO vigil_reviewer;
    -- An approval is announced through the webhook outbox, in the review's transaction.
    GRANT SELECT ON webhook_subscription TO vigil_reviewer;
    GRANT INSERT, UPDATE ON webhook_outbox TO vigil_reviewer;

    -- Identity columns and serials.
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO vigil_coordinator, vigil_reviewer', schema_name);
END
$roles$;
