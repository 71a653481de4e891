-- Detection pillar (proposed CSA Regulation COM(2022) 209, interim
-- Regulation (EU) 2021/1232 and successors, TCO Regulation (EU) 2021/784).
-- Versions 2000-2099 belong to crates/detection. Same SQL subset as the
-- platform: BIGINT, TEXT; times in epoch microseconds; ids TEXT UUIDv7.
-- No table holds content: only hashes, distances and metadata.

-- Public keys of list issuers a provider trusts (the EU Centre role).
CREATE TABLE det_trusted_keys (
    key_id        TEXT PRIMARY KEY,
    issuer        TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);

-- Indicator lists and the versions applied to them (a version chain).
CREATE TABLE det_lists (
    list_id       TEXT PRIMARY KEY,
    issuer        TEXT NOT NULL,
    category      TEXT NOT NULL,
    source        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    digest        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE det_list_versions (
    list_id          TEXT NOT NULL REFERENCES det_lists (list_id),
    version          BIGINT NOT NULL,
    digest           TEXT NOT NULL,
    previous_digest  TEXT,
    issued_at        BIGINT NOT NULL,
    imported_at      BIGINT NOT NULL,
    added            BIGINT NOT NULL,
    removed          BIGINT NOT NULL,
    PRIMARY KEY (list_id, version)
);

-- Indicators: `seq` is the id in the in-memory Hamming index.
CREATE TABLE det_indicators (
    seq           BIGINT PRIMARY KEY,
    list_id       TEXT NOT NULL REFERENCES det_lists (list_id),
    indicator_id  TEXT NOT NULL,
    pdq           TEXT,
    md5           TEXT,
    sha256        TEXT,
    category      TEXT NOT NULL,
    source        TEXT NOT NULL,
    quality       BIGINT,
    status        TEXT NOT NULL,
    since_version BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (list_id, indicator_id)
);
CREATE INDEX det_indicators_md5 ON det_indicators (md5);
CREATE INDEX det_indicators_sha256 ON det_indicators (sha256);

-- Status changes of indicators (disable, quarantine, ...) with reasons.
CREATE TABLE det_indicator_events (
    id            TEXT PRIMARY KEY,
    seq           BIGINT NOT NULL REFERENCES det_indicators (seq),
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX det_indicator_events_seq ON det_indicator_events (seq);

-- Negative list: hashes known to be false positives for a provider.
CREATE TABLE det_negative (
    id            TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    pdq           TEXT NOT NULL,
    radius        BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    match_id      TEXT,
    created_at    BIGINT NOT NULL
);

-- Legal bases for scanning: detection orders and voluntary detection.
CREATE TABLE det_bases (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    provider       TEXT NOT NULL,
    service        TEXT NOT NULL,
    status         TEXT NOT NULL,
    valid_from     BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    facts          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX det_bases_provider ON det_bases (provider);

-- Scans: what was checked, under which basis; never the content.
CREATE TABLE det_scans (
    id            TEXT PRIMARY KEY,
    basis_id      TEXT NOT NULL REFERENCES det_bases (id),
    provider      TEXT NOT NULL,
    content_ref   TEXT,
    input_kind    TEXT NOT NULL,
    pdq           TEXT,
    quality       BIGINT,
    outcome       TEXT NOT NULL,
    scanned_at    BIGINT NOT NULL
);
CREATE INDEX det_scans_basis ON det_scans (basis_id);

-- Matches, each entering the human-review queue.
CREATE TABLE det_matches (
    id            TEXT PRIMARY KEY,
    scan_id       TEXT NOT NULL REFERENCES det_scans (id),
    basis_id      TEXT NOT NULL,
    provider      TEXT NOT NULL,
    seq           BIGINT NOT NULL REFERENCES det_indicators (seq),
    list_id       TEXT NOT NULL,
    list_version  BIGINT NOT NULL,
    distance      BIGINT NOT NULL,
    variant       TEXT NOT NULL,
    quality       BIGINT,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    reviewed_at   BIGINT,
    reviewer      TEXT,
    reason        TEXT
);
CREATE INDEX det_matches_state ON det_matches (state);

-- Reports of confirmed matches (CSA proposal Art. 13, Annex III).
CREATE TABLE det_reports (
    id            TEXT PRIMARY KEY,
    match_id      TEXT NOT NULL REFERENCES det_matches (id),
    provider      TEXT NOT NULL,
    marking       TEXT NOT NULL,
    body          TEXT NOT NULL,
    signature     TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    retain_until  BIGINT NOT NULL
);

-- Provider signing key for reports (one per provider organisation).
CREATE TABLE det_provider_keys (
    provider      TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL,
    secret_key    TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Removal orders (TCO Art. 3; CSA proposal Art. 14).
CREATE TABLE det_removal_orders (
    id             TEXT PRIMARY KEY,
    regime         TEXT NOT NULL,
    reference      TEXT NOT NULL,
    authority      TEXT NOT NULL,
    member_state   TEXT NOT NULL,
    provider       TEXT NOT NULL,
    state          TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    clock_start    BIGINT NOT NULL,
    due_at         BIGINT NOT NULL,
    executed_at    BIGINT,
    facts          TEXT NOT NULL,
    retain_until   BIGINT,
    purged_at      BIGINT,
    updated_at     BIGINT NOT NULL
);

-- Complaints about a detection or a decision taken on it.
CREATE TABLE det_complaints (
    id             TEXT PRIMARY KEY,
    provider       TEXT NOT NULL,
    regime         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    object_ref     TEXT NOT NULL,
    complainant    TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    due_at         BIGINT,
    decided_at     BIGINT,
    outcome        TEXT,
    reasons        TEXT
);
