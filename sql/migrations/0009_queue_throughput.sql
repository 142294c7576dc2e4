-- Worked jobs/s (issue 3): indexes sized to what the worker's statements look up.
--
-- Running jobs by shard. Once per lease tick a worker makes the running jobs of the shards it holds ready again
-- when their job lease expired or their shard lease moved on; with the index on lease_expires_at alone that
-- statement read every running job once per held shard (about 70 ms a tick with four workers and 50,000 jobs).
-- lease_expires_at is no longer a key, so a job-lease heartbeat (which changes only lease_expires_at) can be a
-- HOT update; the maintenance leader's rescue (lease_expires_at < …, any shard) reads this small partial index
-- whole, as it did before.
DROP INDEX triage_job_running;
CREATE INDEX triage_job_running ON triage_job (shard) WHERE state = 'running';

-- No statement reads verdicts by (shard, decision, created_at): the review console reads escalations through
-- verdict_escalation (0005), everything else by primary key. Each verdict written paid an entry here.
DROP INDEX verdict_decision;
