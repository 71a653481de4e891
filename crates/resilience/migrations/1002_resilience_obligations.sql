-- CER Art. 6(3) notifications of critical entities and their Art. 12
-- risk assessments (dates only: the assessments themselves stay with the
-- entity and the authority).
CREATE TABLE res_obligation_events (
    id            TEXT PRIMARY KEY,
    entity_key    TEXT NOT NULL REFERENCES res_entities (key),
    kind          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    reference     TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL
);
CREATE INDEX res_obligation_events_entity ON res_obligation_events (entity_key);
