-- Platform tables: the audit chain, API tokens, console sessions.
-- Written in the SQL subset that SQLite and PostgreSQL share: BIGINT and
-- TEXT columns, times as microseconds since the Unix epoch, ids as text.

CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at_micros     BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    action        TEXT NOT NULL,
    object        TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    details       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);

-- The chain head: one row, updated in the same transaction as each append.
-- Every write transaction updates it first, which serialises writers on
-- both stores.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    scope         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE console_sessions (
    id_hash     TEXT PRIMARY KEY,
    token_id    TEXT NOT NULL REFERENCES api_tokens (id),
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_token ON console_sessions (token_id);
