-- The public halves of providers' report-signing keys that were replaced
-- (`keys::replace`, audited as `detection.key.replace`): a report keeps the
-- key id it was signed with, so its public key must stay available after the
-- provider's key changes. Never a secret: the replaced secret is overwritten in
-- `det_provider_keys` and purged from the files.
CREATE TABLE det_provider_key_history (
    key_id        TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    retired_at    BIGINT NOT NULL,
    reason        TEXT NOT NULL
);
CREATE INDEX det_provider_key_history_provider ON det_provider_key_history (provider);
