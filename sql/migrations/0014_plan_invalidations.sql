-- Fewer autovacuum and autoanalyze runs of the small, hot tables the per-job statements read (issue 7: the tail of
-- the overhead per alert).
--
-- A run of VACUUM or ANALYZE on a table updates its pg_class row (and ANALYZE its statistics), which invalidates every
-- cached plan that reads the table in every backend; the next call of the claim or of vigil_complete on each
-- connection plans its statements again and rebuilds the table's cache entries first: 3-10 ms instead of about 1, a
-- slow claim or verdict commit. With the defaults these tables were vacuumed or analysed about once a minute:
-- - shard_lease holds one row per shard (64 by default), and every lease tick rewrites the rows a worker holds: past the
--   default thresholds (50 rows plus 10 or 20% of the table) within the minute. Those updates change no indexed column,
--   so they are HOT and pruned on the page without VACUUM, and the table's statistics never change in a way a plan
--   uses: vacuum and analyze it after a million changed rows instead (the anti-wraparound vacuum still runs when due).
-- - triage_job stays small (finished jobs leave it) and churns: 5% of its rows plus 50 changed within any minute. Its
--   vacuum (after 2,000 dead rows, 0002) is needed and stays; its statistics matter to no statement that runs per job
--   (the claim and the completion keep fixed index plans), so analyze it after 100,000 changed rows.
-- - monitor_watch (MONITOR verdicts' subjects, pruned by the maintenance leader), alert and verdict are read per job
--   by key only. With the default 50 rows plus 10%, a table that changes by more than a tenth a minute (a new
--   cluster's, a small one's) was analysed every minute: analyze them after 10,000 changed rows plus 10%, so that a
--   large table is analysed about as before.
ALTER TABLE shard_lease SET (
    autovacuum_vacuum_threshold = 1000000,
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_analyze_threshold = 1000000,
    autovacuum_analyze_scale_factor = 0.0
);
ALTER TABLE triage_job SET (
    autovacuum_analyze_threshold = 100000,
    autovacuum_analyze_scale_factor = 0.0
);
ALTER TABLE monitor_watch SET (autovacuum_analyze_threshold = 10000);
ALTER TABLE alert SET (autovacuum_analyze_threshold = 10000);
ALTER TABLE verdict SET (autovacuum_analyze_threshold = 10000);
