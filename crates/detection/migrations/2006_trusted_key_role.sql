-- Whose indicators a trusted key signs. Under a detection order only the EU
-- Centre's indicators may be used (CSA proposal Art. 10(1)); a voluntary basis
-- may also use other sources (a named hotline or organisation). Keys trusted
-- before this column existed were trusted as the EU Centre role (the table's
-- purpose until now), so they keep it.
ALTER TABLE det_trusted_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'eu_centre';
