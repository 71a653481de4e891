-- Scans without a match are deleted, not only stripped, when their retention ends
-- (`retention::purge`): since migration 2009 the annual figures count scans from
-- `det_scan_counts`, so the stripped rows served nothing any more and grew without
-- bound. Scans behind a match stay (stripped) with it. The index lets the purge find
-- the scans behind a match; the statement below deletes the rows stripped before.
CREATE INDEX det_matches_scan ON det_matches (scan_id);
DELETE FROM det_scans WHERE pdq IS NULL AND content_ref IS NULL
    AND NOT EXISTS (SELECT 1 FROM det_matches m WHERE m.scan_id = det_scans.id);
