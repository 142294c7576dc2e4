-- The completion of small batches as a function whose plans are made once per connection (issue 7: overhead per alert).
--
-- The completion statement (JobStore.completeSQL, ten CTEs) is planned on every call, because a generic plan made
-- while the tables were small could scan them whole once they are large. That planning takes about 1.6 ms, most of
-- the statement's cost for the one or few verdicts a worker writes at a time when it is not loaded, and the largest
-- part of the system's overhead per alert. vigil_complete does the same work as statements on one row each, looked up
-- by primary key, with plans made once per connection and kept (force_generic_plan). Such a plan stays right however
-- the tables grow, because each statement has only one way in that is not switched off inside the function
-- (sequential and bitmap scans): an equality on a primary key or on alert_id. No statement tests a column a partial
-- index is defined by (a whole partial index, small when the plan was made, would otherwise be a candidate), and the
-- one statement that needs a partial index (marking the earlier watch rows escalated) is planned on every run
-- (EXECUTE). Per job it costs more than the set-based statement, so large batches still use that statement, whose
-- planning is spread over the batch (JobStore.keptPlanBatchLimit).

-- `owner` is set exactly while a job runs: the claim sets both, and every statement that makes a job ready clears the
-- owner. The completion's fence tests the owner alone, and so finds the job by its primary key only.
ALTER TABLE triage_job ADD CONSTRAINT triage_job_owner_while_running CHECK ((state = 'running') = (owner IS NOT NULL));

-- Writes the verdicts of finished jobs, element i of every array belonging to job i (see JobStore.completeStatement):
-- shard, alert id, attempt, decision, confidence (text), rationale, decided_by, guardrails and flags (each an array
-- literal), evidence and triage (each JSON text) and recommended action; window_ms is the MONITOR recurrence window
-- (0: the watch list is off). Returns a row per job it finished: its key and the decision its verdict was written with,
-- NULL when a verdict was already there (counted as duplicate_verdicts; the first verdict wins).
--
-- Fence: a job is finished only while its row has owner = me and the attempt it was claimed with, and its shard lease
-- has owner = me at the epoch the job was claimed under. Anything else is a stale write: nothing changes for it but the
-- stale_completions counter.
--
-- With the watch list on, it first takes a transaction-scoped advisory lock per subject of the batch's alerts
-- ('principal:<principal>', 'resource:<resource>'), in hash order, so that two workers finishing alerts about the same
-- subject run one after the other and the later one sees the earlier one's watch row. Then, job by job, in order (each
-- statement sees what the statements before it wrote, and what committed before the locks were granted):
-- - MONITOR recurrence: an alert whose subjects have open watch rows of other alerts that occurred within the window is
--   written as ESCALATE, whatever the step decided, with the guardrail and flag monitor_recurrence, a flag
--   recurrence_of:<earlier id> per earlier alert, and triage.recurrence (earlier ids, original decision, window); those
--   alerts' open watch rows are marked escalated by it. A MONITOR verdict otherwise joins the watch list under each of
--   its subjects.
-- - Notifications: an outbox row per enabled webhook_subscription whose decisions include the verdict's.
CREATE FUNCTION vigil_complete(
    me text, shards integer[], alert_ids uuid[], attempts integer[], decisions text[], confidences text[], rationales text[],
    deciders text[], guardrail_sets text[], flag_sets text[], evidence_texts text[], actions text[], triage_texts text[],
    window_ms bigint)
RETURNS TABLE (finished_shard integer, finished_alert_id uuid, written_decision text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $complete$
DECLARE
    job_count integer := coalesce(cardinality(shards), 0);
    watching boolean := window_ms > 0;
    window_span interval := window_ms * interval '1 millisecond';
    occurred timestamptz[] := '{}';
    principal_subjects text[] := '{}';
    resource_subjects text[] := '{}';
    alert_occurred timestamptz;
    principal_subject text;
    resource_subject text;
    alert_subjects text[];
    finished record;
    earlier text[];
    final_decision text;
    stale bigint := 0;
    duplicates bigint := 0;
BEGIN
    IF watching THEN
        FOR i IN 1 .. job_count LOOP
            SELECT a.occurred_at, 'principal:' || nullif(a.principal, ''), 'resource:' || nullif(a.resource, '')
            INTO alert_occurred, principal_subject, resource_subject
            FROM alert a WHERE a.shard = shards[i] AND a.id = alert_ids[i];
            occurred[i] := alert_occurred;
            principal_subjects[i] := principal_subject;
            resource_subjects[i] := resource_subject;
        END LOOP;
        PERFORM pg_advisory_xact_lock(k)
        FROM (SELECT DISTINCT hashtextextended(s, 8) AS k FROM unnest(principal_subjects || resource_subjects) s
              WHERE s IS NOT NULL ORDER BY k) keys;
    END IF;
    FOR i IN 1 .. job_count LOOP
        DELETE FROM triage_job j USING shard_lease l
        WHERE j.shard = shards[i] AND j.alert_id = alert_ids[i] AND j.owner = me AND j.attempt = attempts[i]
          AND l.shard = j.shard AND l.owner = me AND l.epoch = j.lease_epoch
        RETURNING j.attempt, j.lease_epoch, j.enqueued_at INTO finished;
        IF NOT FOUND THEN
            stale := stale + 1;
            CONTINUE;
        END IF;
        alert_subjects := CASE WHEN watching THEN array_remove(ARRAY[principal_subjects[i], resource_subjects[i]], NULL) ELSE '{}' END;
        earlier := NULL;
        IF cardinality(alert_subjects) > 0 THEN
            -- Filtered in the aggregate, not in WHERE: a WHERE on escalated_by would make the partial indexes candidates.
            SELECT array_agg(DISTINCT w.alert_id::text ORDER BY w.alert_id::text) FILTER (
                WHERE w.escalated_by IS NULL AND w.alert_id <> alert_ids[i]
                  AND w.occurred_at BETWEEN occurred[i] - window_span AND occurred[i] + window_span)
            INTO earlier
            FROM monitor_watch w WHERE w.subject = ANY (alert_subjects);
        END IF;
        final_decision := CASE WHEN earlier IS NULL THEN decisions[i] ELSE 'ESCALATE' END;
        INSERT INTO verdict (shard, alert_id, decision, confidence, rationale, decided_by, guardrails, flags, evidence,
            recommended_action, triage, worker, lease_epoch, attempt, enqueued_at)
        VALUES (shards[i], alert_ids[i], final_decision, confidences[i]::float8, rationales[i], deciders[i],
            CASE WHEN earlier IS NULL THEN guardrail_sets[i]::text[]
                ELSE array_append(guardrail_sets[i]::text[], 'monitor_recurrence') END,
            CASE WHEN earlier IS NULL THEN flag_sets[i]::text[]
                ELSE flag_sets[i]::text[] || 'monitor_recurrence'::text || ARRAY(SELECT 'recurrence_of:' || e FROM unnest(earlier) e) END,
            evidence_texts[i]::jsonb, actions[i],
            CASE WHEN earlier IS NULL THEN triage_texts[i]::jsonb
                ELSE triage_texts[i]::jsonb || jsonb_build_object('recurrence', jsonb_build_object(
                    'earlier_alert_ids', to_jsonb(earlier), 'original_decision', decisions[i], 'window_seconds', window_ms / 1000.0)) END,
            me, finished.lease_epoch, finished.attempt, finished.enqueued_at)
        ON CONFLICT (shard, alert_id) DO NOTHING;
        finished_shard := shards[i];
        finished_alert_id := alert_ids[i];
        IF NOT FOUND THEN
            duplicates := duplicates + 1;
            written_decision := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        written_decision := final_decision;
        RETURN NEXT;
        IF final_decision = 'MONITOR' AND cardinality(alert_subjects) > 0 THEN
            INSERT INTO monitor_watch (subject, alert_id, shard, occurred_at)
            SELECT s, alert_ids[i], shards[i], occurred[i] FROM unnest(alert_subjects) s
            ON CONFLICT DO NOTHING;
        END IF;
        IF earlier IS NOT NULL THEN
            EXECUTE 'UPDATE monitor_watch SET escalated_by = $1, escalated_at = now()
                     WHERE alert_id = ANY ($2::uuid[]) AND escalated_by IS NULL'
            USING alert_ids[i], earlier;
        END IF;
        INSERT INTO webhook_outbox (shard, alert_id, subscription, decision)
        SELECT shards[i], alert_ids[i], s.name, final_decision FROM webhook_subscription s
        WHERE s.enabled AND final_decision = ANY (s.decisions)
        ON CONFLICT DO NOTHING;
    END LOOP;
    IF stale > 0 THEN
        INSERT INTO queue_counter (name, value) VALUES ('stale_completions', stale)
        ON CONFLICT (name) DO UPDATE SET value = queue_counter.value + EXCLUDED.value;
    END IF;
    IF duplicates > 0 THEN
        INSERT INTO queue_counter (name, value) VALUES ('duplicate_verdicts', duplicates)
        ON CONFLICT (name) DO UPDATE SET value = queue_counter.value + EXCLUDED.value;
    END IF;
END
$complete$;
