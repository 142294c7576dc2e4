-- Hourly activity seen from each source address, so `lookup_ip_reputation` reads a summary instead of aggregating every
-- CloudTrail event ever sent from the address (issue 7: its "principals seen from an address" was the heaviest
-- statement per alert, 2.4 ms a call over the shared data's 2,154 events of one address, and it grows with the
-- history kept). One row per (source address, UTC hour, principal): the event count and the first and last event
-- time. Events without a parseable source address are not summarised (the tool looks events up by address); events
-- without a principal ARN are, under '' (the tool reports them so).
--
-- Kept like cloudtrail_principal_activity (migration 7): by `vigil load cloudtrail`, in the transaction that stores the
-- events, counting only events it inserted; partitioned by day and pruned with the events (`vigil prune`);
-- benchmarks/enrichment/generate.sql rebuilds it with the same grouping. The tool reads the whole hours before the hour
-- holding "now" from here and that hour from here or, for a row cut by "now", from cloudtrail_event.
CREATE TABLE cloudtrail_address_activity (
    source_ip inet NOT NULL,
    -- the UTC hour the events fall in
    hour timestamptz NOT NULL,
    -- userIdentity.arn, '' when absent
    principal_arn text NOT NULL,
    events bigint NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (source_ip, hour, principal_arn)
) PARTITION BY RANGE (hour);

SELECT vigil_ensure_day_partitions('cloudtrail_address_activity',
    array(SELECT DISTINCT (event_time AT TIME ZONE 'UTC')::date FROM cloudtrail_event WHERE source_ip IS NOT NULL));
INSERT INTO cloudtrail_address_activity
SELECT source_ip, date_trunc('hour', event_time, 'UTC'), coalesce(principal_arn, ''), count(*), min(event_time), max(event_time)
FROM cloudtrail_event WHERE source_ip IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- Migration 8 granted reads of every table that existed then; this one is read by the tools (worker) and reported on
-- (coordinator), when those roles exist (migration 8 leaves grants to the DBA otherwise).
DO $grants$
BEGIN
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('vigil_coordinator', 'vigil_worker')) = 2 THEN
        GRANT SELECT ON cloudtrail_address_activity TO vigil_coordinator, vigil_worker;
    END IF;
END
$grants$;
