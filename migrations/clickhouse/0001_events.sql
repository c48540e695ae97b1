-- The raw event log: one row per accepted event. ReplacingMergeTree on the sorting key collapses
-- redeliveries of the same eventId (same match and timestamp); exact reads use FINAL or GROUP BY event_id.
CREATE TABLE IF NOT EXISTS events
(
    event_id     UUID,
    match_id     String,
    sport        LowCardinality(String),
    type         LowCardinality(String),
    ts           DateTime64(3, 'UTC'),
    seq          UInt32 DEFAULT 0,
    team_id      UInt8 DEFAULT 0,
    player_id    String DEFAULT '',
    payload      String DEFAULT '{}',
    request_id   String DEFAULT '',
    accepted_at  DateTime64(3, 'UTC'),
    written_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(written_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (match_id, ts, event_id)
TTL toDateTime(ts) + INTERVAL 2 YEAR;
