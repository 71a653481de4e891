-- The change feed every running matcher follows (crates/detection/src/sync.rs).
-- Each write that changes what can match (a list version, an indicator's
-- status, a negative-list entry) takes the next `change_id` inside its
-- transaction and stamps the rows it touches with it. Writes are serialised
-- on the audit chain head, so change ids commit in order: a server catches
-- up by reading the rows stamped after the last id it applied, whichever
-- process wrote them (the CLI, another server on the same PostgreSQL).
CREATE TABLE det_sync (
    id         BIGINT PRIMARY KEY,
    change_id  BIGINT NOT NULL
);
INSERT INTO det_sync (id, change_id) VALUES (1, 0);
ALTER TABLE det_indicators ADD COLUMN change_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX det_indicators_change ON det_indicators (change_id);
ALTER TABLE det_negative ADD COLUMN change_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX det_negative_change ON det_negative (change_id);
