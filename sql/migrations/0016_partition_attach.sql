-- Day partitions made without waiting for the writes in progress.
--
-- `CREATE TABLE … PARTITION OF` takes an ACCESS EXCLUSIVE lock on the parent, so it waits until every open transaction
-- that writes the parent has ended. `vigil load` writes two batches at once, each in its own transaction, and makes the
-- partitions a batch needs just before the batch's transaction: a batch that needed a new day waited for the other
-- writer's whole transaction (1.8-2.1 s in a load of 96,300 events), so the two writers took turns. `ATTACH PARTITION`
-- takes SHARE UPDATE EXCLUSIVE, which the writers' ROW EXCLUSIVE does not block: the child is created on its own with
-- the parent's columns, defaults and CHECK constraints, then attached, and PostgreSQL gives it the parent's indexes
-- (built on an empty table: no cost). Same name, range and result as before.
--
-- The lock that keeps two callers from making one partition at once is now keyed by the parent table's OID, not its
-- name: several Vigil schemas in one database (tests, or staging beside production) no longer wait for each other's
-- partitions. The loader calls this in a statement of its own before each batch's transaction, so it holds the lock
-- only while partitions are made.
CREATE OR REPLACE FUNCTION vigil_ensure_day_partitions(parent text, days date[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    made integer := 0;
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil_partitions'), to_regclass(quote_ident(parent))::oid::integer);
    FOREACH day IN ARRAY days LOOP
        CONTINUE WHEN day IS NULL;
        child := parent || '_p' || to_char(day, 'YYYYMMDD');
        IF to_regclass(quote_ident(child)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', child, parent);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                parent, child, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END;
$$;

-- Takes the same lock as vigil_ensure_day_partitions.
CREATE OR REPLACE FUNCTION vigil_drop_day_partitions(parent text, cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil_partitions'), to_regclass(quote_ident(parent))::oid::integer);
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
