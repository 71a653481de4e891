-- Scans counted per provider and UTC day (`day` = microseconds since the epoch
-- divided by 86,400,000,000), kept up to date in the transaction that records the
-- scans (`scan::insert`): the annual transparency figures (CSA proposal Art. 83(1),
-- TCO Art. 7(3), 2021/1232 Art. 3(1)(g)(vii)) read a few hundred rows instead of
-- counting every scan ever recorded (7 s at 13M scans, growing without bound).
-- Filled here from the scans already recorded.
CREATE TABLE det_scan_counts (
    provider     TEXT NOT NULL,
    day          BIGINT NOT NULL,
    scans        BIGINT NOT NULL,
    low_quality  BIGINT NOT NULL,
    PRIMARY KEY (provider, day)
);
INSERT INTO det_scan_counts (provider, day, scans, low_quality)
    SELECT provider, scanned_at / 86400000000, COUNT(*),
           SUM(CASE WHEN outcome = 'low_quality' THEN 1 ELSE 0 END)
    FROM det_scans GROUP BY provider, scanned_at / 86400000000;
-- No query reads scans by basis; the index cost a B-tree insert per scan.
DROP INDEX det_scans_basis;
