-- Provider report-signing keys are kept sealed, not plain (crates/detection/src/keys.rs):
-- `sealed_secret` is the secret key sealed with the key-encryption key (KEK) of the key
-- file, which lives outside the database (crates/store/src/kek.rs, seal.rs), bound to the
-- row's provider and key_id; `kek_id` names the KEK that sealed it. `plain_secret` holds a
-- secret stored before this migration until the first start with a key file seals it and
-- erases it (`keys::seal_at_rest`, audited as `detection.key.seal`); no new row has one.
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt (same statements on
-- PostgreSQL); the store's `secure_delete` zeroes the old table's pages as they are freed.
CREATE TABLE det_provider_keys_v2 (
    provider      TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    sealed_secret TEXT,
    kek_id        TEXT,
    plain_secret  TEXT,
    CHECK ((sealed_secret IS NOT NULL AND kek_id IS NOT NULL AND plain_secret IS NULL)
        OR (sealed_secret IS NULL AND kek_id IS NULL AND plain_secret IS NOT NULL))
);
INSERT INTO det_provider_keys_v2 (provider, key_id, public_key, created_at, plain_secret)
    SELECT provider, key_id, public_key, created_at, secret_key FROM det_provider_keys;
DROP TABLE det_provider_keys;
ALTER TABLE det_provider_keys_v2 RENAME TO det_provider_keys;
