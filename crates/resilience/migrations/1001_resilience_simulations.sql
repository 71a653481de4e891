-- Stored runs of the cascading-disruption simulation (crates/cascade on the
-- European model of crates/europe): what was asked, where the run stands and
-- its result summary (numbers only, JSON).
CREATE TABLE res_simulations (
    id            TEXT PRIMARY KEY,
    scenario      TEXT NOT NULL,
    samples       BIGINT NOT NULL,
    seed          BIGINT NOT NULL,
    status        TEXT NOT NULL,
    samples_done  BIGINT NOT NULL,
    error         TEXT,
    summary       TEXT,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT,
    finished_at   BIGINT
);
CREATE INDEX res_simulations_status ON res_simulations (status);
