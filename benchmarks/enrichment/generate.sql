-- Grows cloudtrail_event from the loaded shared data (3,210 events) to about :target events, in SQL, for the tool
-- latency benchmark; also fills vpc_flow, intel_indicator and guardduty_finding so those tools have data to search.
--
-- Copy r of each original event (r = 1 … :target / 3210): event id + '-g<r>', time + r hours, account id
-- (account + r) mod 10^12 in the account, principal ARN and resource ARNs (so each copy is another set of principals
-- with the same behaviour), source address hashed per copy into 100.64.0.0/10 (consistent within a copy). The record
-- column of copies holds a small stub ({"eventID", "replicaOf"}), not the whole record: the tools never read it, and
-- 10M full records would need ~20 GB here.
--
-- The hourly summaries that `vigil load` keeps, per principal (cloudtrail_principal_activity, migration 0007) and per
-- source address (cloudtrail_address_activity, migration 0015), are then rebuilt from all of cloudtrail_event with the
-- loader's groupings (PrincipalActivity.upsert, AddressActivity.upsert), so they hold exactly what loading these
-- events one by one would have made.
--
--   psql -v target=10000000 -f generate.sql
\set ON_ERROR_STOP on
SELECT count(*) AS base FROM cloudtrail_event \gset
SELECT ceil(:target::numeric / :base)::int - 1 AS copies \gset
\echo generating :copies copies of :base events

SELECT vigil_ensure_day_partitions('cloudtrail_event', array(
    SELECT generate_series(min(event_time)::date, (max(event_time) + (:copies + 1) * interval '1 hour')::date, interval '1 day')::date
    FROM cloudtrail_event));

CREATE TEMP TABLE base AS SELECT * FROM cloudtrail_event;
DROP INDEX cloudtrail_event_principal_time, cloudtrail_event_resources, cloudtrail_event_source_ip, cloudtrail_event_iam_name_time,
    cloudtrail_event_iam_principal_time;

SELECT format($$
    INSERT INTO cloudtrail_event
    SELECT b.event_id || '-g' || r, b.event_time + r * interval '1 hour', b.event_source, b.event_name,
           CASE WHEN b.account_id ~ '^[0-9]{12}$' THEN replace(b.principal_arn, b.account_id, lpad(((b.account_id::bigint + r) %% 1000000000000)::text, 12, '0')) ELSE b.principal_arn END,
           b.principal_type,
           CASE WHEN b.account_id ~ '^[0-9]{12}$' THEN lpad(((b.account_id::bigint + r) %% 1000000000000)::text, 12, '0') ELSE b.account_id END,
           b.region, b.source_address,
           CASE WHEN b.source_ip IS NULL THEN NULL ELSE '100.64.0.0'::inet + (abs(hashtext(host(b.source_ip) || ':' || r)) %% 4194304) END,
           b.user_agent, b.error_code,
           CASE WHEN b.account_id ~ '^[0-9]{12}$' THEN array(SELECT replace(x, b.account_id, lpad(((b.account_id::bigint + r) %% 1000000000000)::text, 12, '0')) FROM unnest(b.resources) x) ELSE b.resources END,
           jsonb_build_object('eventID', b.event_id || '-g' || r, 'replicaOf', b.event_id)
    FROM base b, generate_series(%s, %s) r
    $$, lo, least(lo + 99, :copies))
FROM generate_series(1, :copies, 100) lo
\gexec

\echo indexing
CREATE INDEX cloudtrail_event_principal_time ON cloudtrail_event (principal_arn, event_time);
CREATE INDEX cloudtrail_event_resources ON cloudtrail_event USING gin (resources);
CREATE INDEX cloudtrail_event_source_ip ON cloudtrail_event (source_ip, event_time);
CREATE INDEX cloudtrail_event_iam_name_time ON cloudtrail_event (event_name, event_time) WHERE event_source = 'iam.amazonaws.com';
CREATE INDEX cloudtrail_event_iam_principal_time ON cloudtrail_event (principal_arn, event_time) WHERE event_source = 'iam.amazonaws.com';

\echo summarising per principal and hour
TRUNCATE cloudtrail_principal_activity;
SELECT vigil_ensure_day_partitions('cloudtrail_principal_activity',
    array(SELECT DISTINCT (event_time AT TIME ZONE 'UTC')::date FROM cloudtrail_event WHERE principal_arn IS NOT NULL));
INSERT INTO cloudtrail_principal_activity
SELECT principal_arn, date_trunc('hour', event_time, 'UTC'), event_source, event_name, coalesce(source_address, ''),
       coalesce(left(user_agent, 200), ''), count(*), count(*) FILTER (WHERE error_code IS NOT NULL), min(event_time), max(event_time)
FROM cloudtrail_event WHERE principal_arn IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6;

\echo summarising per source address and hour
TRUNCATE cloudtrail_address_activity;
SELECT vigil_ensure_day_partitions('cloudtrail_address_activity',
    array(SELECT DISTINCT (event_time AT TIME ZONE 'UTC')::date FROM cloudtrail_event WHERE source_ip IS NOT NULL));
INSERT INTO cloudtrail_address_activity
SELECT source_ip, date_trunc('hour', event_time, 'UTC'), coalesce(principal_arn, ''), count(*), min(event_time), max(event_time)
FROM cloudtrail_event WHERE source_ip IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

\echo flows, intel, findings
-- 2M flows: sources in 100.64.0.0/10 (as the events' addresses), peers in 198.18.0.0/17, hourly from the first event on.
SELECT vigil_ensure_day_partitions('vpc_flow', array(
    SELECT generate_series(min(event_time)::date, (min(event_time) + interval '15001 hours')::date, interval '1 day')::date
    FROM cloudtrail_event));
INSERT INTO vpc_flow (flow_hash, start_time, end_time, account_id, interface_id, src_addr, dst_addr, src_port, dst_port, protocol, packets, bytes, action, log_status)
SELECT i, t, t + interval '60 seconds', '123456789012', 'eni-' || (i % 1000), '100.64.0.0'::inet + (i % 4194304),
       '198.18.0.0'::inet + (hashint8(i) & 32767), 1024 + i % 60000, (ARRAY[443, 80, 22, 5432, 3389])[1 + i % 5], 6,
       1 + i % 100, 64 * (1 + i % 10000), CASE WHEN i % 17 = 0 THEN 'REJECT' ELSE 'ACCEPT' END, 'OK'
FROM generate_series(1, 2000000) i,
     LATERAL (SELECT (SELECT min(event_time) FROM cloudtrail_event) + (i % 15000) * interval '1 hour' AS t) w;
-- 200k intel networks: /32s and /24s in 100.64.0.0/10, some IPv6.
INSERT INTO intel_indicator (feed, network, score, source, expires_at)
SELECT 'bench-' || (i % 5), set_masklen('100.64.0.0'::inet + (hashint8(i) & 4194303), CASE WHEN i % 10 = 0 THEN 24 ELSE 32 END)::cidr,
       i % 100, 'generated', NULL
FROM generate_series(1, 180000) i ON CONFLICT DO NOTHING;
INSERT INTO intel_indicator (feed, network, score, source)
SELECT 'bench-v6', set_masklen(('2001:db8::'::inet + (hashint8(i) & 1048575)), 128)::cidr, i % 100, 'generated'
FROM generate_series(1, 20000) i ON CONFLICT DO NOTHING;
-- 50k findings over the copies' accounts.
INSERT INTO guardduty_finding (finding_id, account_id, region, finding_type, severity, title, resource_type, resource_ids, created_at, updated_at, record)
SELECT 'f' || i, lpad(((a.accounts[1 + i % n]::bigint + i % greatest(:copies, 1)) % 1000000000000)::text, 12, '0'), 'us-east-1',
       (ARRAY['Recon:EC2/Portscan', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', 'Backdoor:EC2/C&CActivity.B'])[1 + i % 3],
       (i % 90) / 10.0, 'generated', 'Instance', ARRAY['i-' || i],
       a.times[1 + i % n] + (i % greatest(:copies, 1)) * interval '1 hour', a.times[1 + i % n] + (i % greatest(:copies, 1)) * interval '1 hour',
       '{}'::jsonb
FROM generate_series(1, 50000) i,
     (SELECT array_agg(account_id) AS accounts, array_agg(event_time) AS times, count(*)::int AS n
      FROM base WHERE account_id ~ '^[0-9]{12}$') a;
ANALYZE cloudtrail_event; ANALYZE cloudtrail_principal_activity; ANALYZE cloudtrail_address_activity; ANALYZE vpc_flow; ANALYZE intel_indicator; ANALYZE guardduty_finding;
SELECT count(*) AS events FROM cloudtrail_event;
