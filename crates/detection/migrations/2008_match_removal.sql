-- What a provider did with content after a reviewer confirmed its match
-- (`review::record_removal`, audited as `detection.match.removal`): removed it or
-- disabled access to it, when, and until when the match and its scan's hash and
-- content reference are preserved (TCO Regulation Art. 6(1): six months after a
-- removal under a specific measure; CSA proposal Art. 22(1): at most 12 months).
ALTER TABLE det_matches ADD COLUMN removed_at BIGINT;
ALTER TABLE det_matches ADD COLUMN removal_action TEXT;
ALTER TABLE det_matches ADD COLUMN preserve_until BIGINT;
-- The retention purge looks up the matches still preserved.
CREATE INDEX det_matches_preserved ON det_matches (preserve_until) WHERE preserve_until IS NOT NULL;
