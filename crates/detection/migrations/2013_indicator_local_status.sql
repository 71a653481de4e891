-- A provider's own status for an indicator (`lists::set_status` with a
-- provider, which every API caller is): disabling or quarantining an
-- indicator through the API takes it out of that provider's scans only, so on
-- a deployment shared by several providers one of them cannot switch off
-- detection for the others. The deployment-wide status stays in
-- `det_indicators.status` (list versions, flood quarantine, the operator's
-- `bulwark detect indicator`). `change_id` lets every process's live matcher
-- catch up (see `sync`).
CREATE TABLE det_indicator_local (
    provider    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    status      TEXT NOT NULL,
    change_id   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (provider, seq)
);
CREATE INDEX det_indicator_local_change ON det_indicator_local (change_id);
-- Whose change an event is: NULL for the deployment-wide status.
ALTER TABLE det_indicator_events ADD COLUMN provider TEXT;
