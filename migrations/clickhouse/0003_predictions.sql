-- Every prediction the match rooms publish (one per applied event), for charts and model evaluation.
-- The room's update seq identifies a prediction within its match: the consumer re-sends predictions a
-- failed insert left in the room's outbox, and ReplacingMergeTree collapses the repeats.
CREATE TABLE IF NOT EXISTS predictions
(
    match_id       String,
    seq            UInt32,
    sport          LowCardinality(String),
    event_id       UUID,
    event_type     LowCardinality(String),
    p_team1        Float64,
    p_draw         Nullable(Float64),
    p_team2        Float64,
    model_version  LowCardinality(String),
    at             DateTime64(3, 'UTC'),
    written_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(written_at)
PARTITION BY toYYYYMM(at)
ORDER BY (match_id, seq)
TTL toDateTime(at) + INTERVAL 2 YEAR;

-- The latest prediction of each match, for match lists: one row per match and insert, collapsed to the
-- highest seq by merges (readers take argMax by seq, so unmerged rows never show).
CREATE TABLE IF NOT EXISTS latest_predictions
(
    match_id       String,
    seq            UInt32,
    p_team1        Float64,
    p_draw         Nullable(Float64),
    p_team2        Float64,
    model_version  LowCardinality(String),
    at             DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY match_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS latest_predictions_mv TO latest_predictions AS
SELECT match_id, seq, p_team1, p_draw, p_team2, model_version, at
FROM predictions
ORDER BY seq DESC
LIMIT 1 BY match_id;
