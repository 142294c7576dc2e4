-- How a verdict's JSON documents are stored (issue 7: overhead per alert, the verdict's transaction).
--
-- A verdict's triage document (the AI path's audit, the timeline, the rule path) is about 4 KB of JSON, 5 KB as
-- jsonb: above the 2 KB at which PostgreSQL compresses a row's wide values. With the defaults (pglz, storage EXTENDED)
-- it was compressed to about 2.1 KB and, the row still above 2 KB, moved out of line into the TOAST table: a second
-- heap row and an index entry per verdict. With lz4 and storage MAIN it is compressed faster and stays in the row
-- (MAIN moves a value out of line only when the row cannot fit a page even compressed). benchmarks/queue/
-- verdict-storage.sh (one-row inserts of a real triage document into copies of `verdict`): 175-183 µs per row with
-- the defaults against 106-132 µs, for a document that pglz keeps just under 2 KB; in psql, one that it did not
-- (2,149 bytes) took 266-284 µs against 173 µs, and 4.5 KB per row on disk against 2.8 KB.
--
-- lz4 needs a server built with it (Debian's is); where it is not, the column keeps pglz and only the storage changes.
-- Rows written before keep their form until they are rewritten.
DO $$
BEGIN
    ALTER TABLE verdict ALTER COLUMN triage SET COMPRESSION lz4, ALTER COLUMN evidence SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available in this server: verdict documents stay pglz-compressed';
END
$$;
ALTER TABLE verdict ALTER COLUMN triage SET STORAGE MAIN, ALTER COLUMN evidence SET STORAGE MAIN;
