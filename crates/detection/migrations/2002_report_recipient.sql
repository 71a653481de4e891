-- The recipient of each report (the EU Centre role by default), so that the
-- authority it is addressed to can list it. Reports made before this version
-- carry it only inside their signed body; `bulwark_detection::migrate`
-- copies it from there (audited).
ALTER TABLE det_reports ADD COLUMN recipient TEXT;
CREATE INDEX det_reports_recipient ON det_reports (recipient);
