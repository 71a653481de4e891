-- Removed content put back online (`reinstatement`, audited as
-- `detection.reinstatement`): after a complaint the provider reversed (TCO
-- Regulation Art. 10(2)), a scrutiny decision on a cross-border removal order
-- (Art. 4(7)) or review proceedings (Art. 9). One row per object at most; the
-- transparency figures count them by `at` (Art. 7(3)(f)-(g)).
CREATE TABLE det_reinstatements (
    id           TEXT PRIMARY KEY,
    object_kind  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    provider     TEXT NOT NULL,
    regime       TEXT NOT NULL,
    ground       TEXT NOT NULL,
    reference    TEXT NOT NULL,
    at           BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    UNIQUE (object_kind, object_id)
);
CREATE INDEX det_reinstatements_at ON det_reinstatements (at);
