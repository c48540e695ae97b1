-- Per-minute rollups per match and event type, kept by a materialized view on the event log. Counts are
-- uniqExact states over event_id, not row counts: a redelivered event adds its id to the same set, so
-- the rollup stays exact under at-least-once writes without waiting for the log's merges.
CREATE TABLE IF NOT EXISTS events_per_minute
(
    match_id  String,
    minute    DateTime('UTC'),
    type      LowCardinality(String),
    sport     SimpleAggregateFunction(any, LowCardinality(String)),
    events    AggregateFunction(uniqExact, UUID),
    first_ts  SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ts   SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (match_id, minute, type)
TTL minute + INTERVAL 2 YEAR;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_per_minute_mv TO events_per_minute AS
SELECT
    match_id,
    toStartOfMinute(ts) AS minute,
    type,
    any(sport) AS sport,
    uniqExactState(event_id) AS events,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM events
GROUP BY match_id, minute, type;

-- Backfill what the log held before the view existed. Safe to overlap with live inserts: an id counted
-- twice is still one element of its set.
INSERT INTO events_per_minute
SELECT
    match_id,
    toStartOfMinute(ts) AS minute,
    type,
    any(sport) AS sport,
    uniqExactState(event_id) AS events,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM events
GROUP BY match_id, minute, type;

-- One row per match (after merges): when its first and last events happened, for match lists that
-- show many matches at once. min/max are idempotent, so redeliveries change nothing.
CREATE TABLE IF NOT EXISTS events_per_match
(
    match_id  String,
    sport     SimpleAggregateFunction(any, LowCardinality(String)),
    first_ts  SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ts   SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY match_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_per_match_mv TO events_per_match AS
SELECT match_id, any(sport) AS sport, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
GROUP BY match_id;

INSERT INTO events_per_match
SELECT match_id, any(sport) AS sport, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
GROUP BY match_id;
