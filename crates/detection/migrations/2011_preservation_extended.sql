-- A preservation period extended at the request of a competent authority or court
-- for ongoing review proceedings (`review::extend_preservation`, audited as
-- `detection.match.preservation`; TCO Regulation Art. 6(2), CSA proposal Art. 22(2)):
-- who asked and their reference; the new end is in `preserve_until`.
ALTER TABLE det_matches ADD COLUMN preservation_requested_by TEXT;
ALTER TABLE det_matches ADD COLUMN preservation_reference TEXT;
