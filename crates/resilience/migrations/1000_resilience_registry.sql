-- Resilience pillar (CER Directive (EU) 2022/2557, NIS2 (EU) 2022/2555).
-- Versions 1000-1099 belong to crates/resilience. Same SQL subset as the
-- platform: BIGINT, TEXT, DOUBLE PRECISION; times in epoch microseconds;
-- ids as TEXT UUIDv7; records also carry a stable, user-given `key` that
-- imports and cross-references use.

-- Entities that may be (or are) critical entities (CER Art. 2(1), Art. 6).
CREATE TABLE res_entities (
    id            TEXT PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    member_state  TEXT NOT NULL,
    sector        TEXT NOT NULL,
    subsector     TEXT,
    category      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX res_entities_ms ON res_entities (member_state);

-- National additions to the essential services of Delegated Regulation
-- (EU) 2023/2450 (CER Art. 7(2)(a)); the EU list itself is in code.
CREATE TABLE res_national_services (
    code          TEXT PRIMARY KEY,
    member_state  TEXT NOT NULL,
    sector        TEXT NOT NULL,
    subsector     TEXT,
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Who provides which essential service where (entity x service x region).
CREATE TABLE res_provisions (
    id                TEXT PRIMARY KEY,
    key               TEXT NOT NULL UNIQUE,
    entity_key        TEXT NOT NULL REFERENCES res_entities (key),
    service           TEXT NOT NULL,
    member_state      TEXT NOT NULL,
    region            TEXT NOT NULL,
    users_served      BIGINT NOT NULL,
    market_share      DOUBLE PRECISION NOT NULL,
    served_states     TEXT NOT NULL,
    substitutability  DOUBLE PRECISION NOT NULL,
    isolated_area     BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX res_provisions_entity ON res_provisions (entity_key);

-- Critical infrastructure (CER Art. 2(4)).
CREATE TABLE res_assets (
    id             TEXT PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    entity_key     TEXT NOT NULL REFERENCES res_entities (key),
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    member_state   TEXT NOT NULL,
    region         TEXT NOT NULL,
    latitude       DOUBLE PRECISION,
    longitude      DOUBLE PRECISION,
    backup_hours   DOUBLE PRECISION NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX res_assets_entity ON res_assets (entity_key);

-- Dependencies between entities (supplier -> dependent), Rinaldi et al.
-- kinds; feeds CER Art. 7(1)(b) and Art. 12(2).
CREATE TABLE res_dependencies (
    id                  TEXT PRIMARY KEY,
    key                 TEXT NOT NULL UNIQUE,
    supplier_key        TEXT NOT NULL REFERENCES res_entities (key),
    dependent_key       TEXT NOT NULL REFERENCES res_entities (key),
    kind                TEXT NOT NULL,
    resource            TEXT NOT NULL,
    strength            DOUBLE PRECISION NOT NULL,
    buffer_hours        DOUBLE PRECISION NOT NULL,
    recovery_lag_hours  DOUBLE PRECISION NOT NULL,
    alternatives        TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX res_dependencies_supplier ON res_dependencies (supplier_key);
CREATE INDEX res_dependencies_dependent ON res_dependencies (dependent_key);

-- National thresholds for identification and incident significance (JSON).
CREATE TABLE res_thresholds (
    member_state  TEXT PRIMARY KEY,
    body          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Incidents notified under CER Art. 15 and/or NIS2 Art. 23.
CREATE TABLE res_incidents (
    id            TEXT PRIMARY KEY,
    entity_key    TEXT NOT NULL REFERENCES res_entities (key),
    member_state  TEXT NOT NULL,
    aware_at      BIGINT NOT NULL,
    cer           BIGINT NOT NULL,
    nis2          BIGINT NOT NULL,
    facts         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX res_incidents_ms ON res_incidents (member_state);

-- Reports submitted per incident, regime and stage.
CREATE TABLE res_incident_reports (
    incident_id   TEXT NOT NULL REFERENCES res_incidents (id),
    regime        TEXT NOT NULL,
    stage         TEXT NOT NULL,
    submitted_at  BIGINT NOT NULL,
    PRIMARY KEY (incident_id, regime, stage)
);
