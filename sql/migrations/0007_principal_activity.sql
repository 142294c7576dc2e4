-- Hourly activity of each CloudTrail principal, so the investigation tools read summaries instead of aggregating
-- thousands of raw events. One row per (principal, hour, event source, event name, source address, user agent):
-- the event count, the failed calls among them, and the first and last event time.
--
-- Maintained by `vigil load cloudtrail` in the transaction that stores the events (only events it actually inserted
-- are counted, so re-loading and concurrent loaders never count an event twice), and pruned with the events:
-- partitioned by day like cloudtrail_event (`vigil prune` drops the same days of both). Events without a principal
-- ARN are not summarised (the tools look events up by principal). benchmarks/enrichment/generate.sql rebuilds it
-- from cloudtrail_event with the same grouping.
--
-- A tool's window rarely falls on hour boundaries: it reads the whole hours inside the window from here and the
-- partial hours at its two ends from cloudtrail_event, so its answers are exactly those of the raw events.
CREATE TABLE cloudtrail_principal_activity (
    principal_arn text NOT NULL,
    -- the UTC hour the events fall in
    hour timestamptz NOT NULL,
    event_source text NOT NULL,
    event_name text NOT NULL,
    -- sourceIPAddress as written, '' when absent
    source_address text NOT NULL,
    -- the first 200 characters of userAgent, '' when absent
    user_agent text NOT NULL,
    events bigint NOT NULL,
    errors bigint NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (principal_arn, hour, event_source, event_name, source_address, user_agent)
) PARTITION BY RANGE (hour);

-- The IAM events of a principal (permission changes as evidence) without walking all its events.
CREATE INDEX cloudtrail_event_iam_principal_time ON cloudtrail_event (principal_arn, event_time)
    WHERE event_source = 'iam.amazonaws.com';

-- Existing events: create the partitions and summarise what is already stored.
SELECT vigil_ensure_day_partitions('cloudtrail_principal_activity',
    array(SELECT DISTINCT (event_time AT TIME ZONE 'UTC')::date FROM cloudtrail_event WHERE principal_arn IS NOT NULL));
INSERT INTO cloudtrail_principal_activity
SELECT principal_arn, date_trunc('hour', event_time, 'UTC'), event_source, event_name, coalesce(source_address, ''),
       coalesce(left(user_agent, 200), ''), count(*), count(*) FILTER (WHERE error_code IS NOT NULL), min(event_time), max(event_time)
FROM cloudtrail_event WHERE principal_arn IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6;
