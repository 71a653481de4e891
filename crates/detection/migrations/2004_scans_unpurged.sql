-- The retention purge (`retention.rs`) clears the hash and content reference of scans older
-- than their retention period. Without an index its UPDATE read every scan ever recorded
-- inside the write transaction, holding up every scan commit meanwhile (0.77 s at the 99th
-- percentile after a start with 22M scans recorded). Partial: a purged scan leaves the index,
-- so each run reads only the rows still to purge.
CREATE INDEX det_scans_unpurged ON det_scans (scanned_at) WHERE pdq IS NOT NULL OR content_ref IS NOT NULL;
