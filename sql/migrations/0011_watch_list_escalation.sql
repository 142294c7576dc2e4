-- The MONITOR watch list's escalation by alert (issue 7).
--
-- A recurrence marks the earlier alerts' open watch rows as escalated, finding them by alert id. monitor_watch is keyed
-- by (subject, alert_id), so without this index that UPDATE read every open watch row: with 100,000 open rows a worker
-- finished about 100 jobs/s instead of about 7,000 (benchmarks/queue/recurrence-overhead.sh).
CREATE INDEX monitor_watch_open_alert ON monitor_watch (alert_id) WHERE escalated_by IS NULL;
