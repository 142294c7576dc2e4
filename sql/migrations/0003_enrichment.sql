-- Enrichment: the logs and intelligence the investigation tools read.
-- Event tables are partitioned by day on their event time; partitions are made on demand by the loaders
-- (vigil_ensure_day_partitions) and dropped whole by `vigil prune` (vigil_drop_day_partitions).
-- Partition names are <table>_pYYYYMMDD; a unique constraint on a partitioned table must include the
-- partition key, hence (event_id, event_time).

CREATE TABLE cloudtrail_event (
    event_id text NOT NULL,
    event_time timestamptz NOT NULL,
    event_source text NOT NULL,
    event_name text NOT NULL,
    principal_arn text,
    principal_type text,
    account_id text,
    region text,
    -- sourceIPAddress as written (may be a service name such as "ec2.amazonaws.com")
    source_address text,
    -- the same, canonicalised, when it is an address
    source_ip inet,
    user_agent text,
    error_code text,
    resources text[] NOT NULL DEFAULT '{}',
    record jsonb NOT NULL,
    PRIMARY KEY (event_id, event_time)
) PARTITION BY RANGE (event_time);
CREATE INDEX cloudtrail_event_principal_time ON cloudtrail_event (principal_arn, event_time);
CREATE INDEX cloudtrail_event_resources ON cloudtrail_event USING gin (resources);
CREATE INDEX cloudtrail_event_source_ip ON cloudtrail_event (source_ip, event_time);
CREATE INDEX cloudtrail_event_iam_name_time ON cloudtrail_event (event_name, event_time)
    WHERE event_source = 'iam.amazonaws.com';

CREATE TABLE guardduty_finding (
    finding_id text PRIMARY KEY,
    account_id text,
    region text,
    finding_type text NOT NULL,
    severity double precision NOT NULL,
    title text,
    resource_type text,
    -- identifiers of the affected resource: instance id, access key id, user name, bucket names, …
    resource_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX guardduty_finding_account ON guardduty_finding (account_id, updated_at);
CREATE INDEX guardduty_finding_resources ON guardduty_finding USING gin (resource_ids);

CREATE TABLE vpc_flow (
    -- xxHash64 of the record's fields: identical records are one flow
    flow_hash bigint NOT NULL,
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    account_id text,
    interface_id text,
    src_addr inet,
    dst_addr inet,
    src_port integer,
    dst_port integer,
    protocol integer,
    packets bigint,
    bytes bigint,
    action text,
    log_status text,
    PRIMARY KEY (flow_hash, start_time)
) PARTITION BY RANGE (start_time);
CREATE INDEX vpc_flow_src ON vpc_flow (src_addr, start_time);
CREATE INDEX vpc_flow_dst ON vpc_flow (dst_addr, start_time);

CREATE TABLE intel_indicator (
    feed text NOT NULL,
    network cidr NOT NULL,
    score double precision,
    source text,
    first_seen timestamptz,
    last_seen timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    -- NULL: never expires
    expires_at timestamptz,
    PRIMARY KEY (feed, network)
);
CREATE INDEX intel_indicator_network ON intel_indicator USING gist (network inet_ops);

CREATE TABLE auth_event (
    event_hash bigint NOT NULL,
    event_time timestamptz NOT NULL,
    user_name text NOT NULL,
    source_ip inet,
    success boolean NOT NULL,
    error_code text,
    country text,
    asn bigint,
    PRIMARY KEY (event_hash, event_time)
) PARTITION BY RANGE (event_time);
CREATE INDEX auth_event_user_time ON auth_event (user_name, event_time);
CREATE INDEX auth_event_failures ON auth_event (event_time) WHERE NOT success;

-- The assets file (`vigil load assets`): ARN patterns (`*` wildcards) by kind, replaced as a whole on each load.
CREATE TABLE asset_pattern (
    kind text NOT NULL CHECK (kind IN ('privileged_principal', 'production_database', 'secrets_store', 'automation_principal')),
    pattern text NOT NULL,
    PRIMARY KEY (kind, pattern)
);

-- Creates the daily partitions of `parent` for `days` that do not exist yet; returns how many it made.
CREATE FUNCTION vigil_ensure_day_partitions(parent text, days date[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    made integer := 0;
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil_partitions:' || parent));
    FOREACH day IN ARRAY days LOOP
        CONTINUE WHEN day IS NULL;
        child := parent || '_p' || to_char(day, 'YYYYMMDD');
        IF to_regclass(quote_ident(child)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                child, parent, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END;
$$;

-- Drops the daily partitions of `parent` that end at or before `cutoff`; returns their names.
CREATE FUNCTION vigil_drop_day_partitions(parent text, cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil_partitions:' || parent));
    FOR child IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.oid = to_regclass(quote_ident(parent))
          AND c.relname ~ ('^' || parent || '_p[0-9]{8}$')
          AND (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= cutoff
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE %I', child);
        RETURN NEXT child;
    END LOOP;
END;
$$;
