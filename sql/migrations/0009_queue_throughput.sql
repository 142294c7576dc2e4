-- Worked jobs/s (issue 3).
--
-- No statement reads verdicts by (shard, decision, created_at): the review console reads escalations through
-- verdict_escalation (0005), everything else by primary key. Each verdict written paid an entry here.
DROP INDEX verdict_decision;
