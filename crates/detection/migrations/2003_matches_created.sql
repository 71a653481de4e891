-- The flood guard (`flood.rs`) counts each indicator's matches of the last hour every five
-- minutes; without this index that query read every match ever recorded.
CREATE INDEX det_matches_created ON det_matches (created_at);
