-- Ingest write cost (issue 3).
--
-- No statement reads alerts by (shard, received_at): alerts are read by primary key (shard, id), by id alone through
-- alert_id (GET /v1/alerts/{id}), and joined from jobs and verdicts by key. Each ingested alert paid an entry here.
DROP INDEX alert_received;
