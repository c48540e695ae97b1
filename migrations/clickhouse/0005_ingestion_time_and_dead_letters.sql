-- Retention and partitions by ingestion time, one row per event, and a place for what cannot be written.
--
-- Until now the event log and the predictions were partitioned and expired by source time: a replay of a
-- 2018 match was past its TTL on arrival (kept by the room, never by the log), and one insert whose source
-- times spanned more than 100 months failed as a whole ("Too many partitions for single INSERT block").
-- Ingestion time (accepted_at, written_at) is always near now, so every insert touches one or two
-- partitions and the TTL keeps two years from arrival, whatever the feed's clock says.
--
-- The event log is now ordered by (match_id, event_id): an event re-sent with another timestamp is the
-- same row for the ReplacingMergeTree (the reads also group by event_id, so an unmerged copy never counts).
-- The per-minute rollup is dropped: it counted an event once per minute it was sent with, and its
-- partitions by source minute failed the same wide inserts; the timeline reads the log, grouped by event.
--
-- The tables are rebuilt (new table, copy, exchange), never altered in place: ClickHouse cannot change a
-- sorting key or partition key. The materialized views are dropped first and recreated on the new tables.

DROP VIEW IF EXISTS events_per_minute_mv;
DROP VIEW IF EXISTS events_per_match_mv;
DROP VIEW IF EXISTS latest_predictions_mv;
DROP TABLE IF EXISTS events_per_minute;

CREATE TABLE IF NOT EXISTS events_by_arrival
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
PARTITION BY toYYYYMM(accepted_at)
ORDER BY (match_id, event_id)
TTL toDateTime(accepted_at) + INTERVAL 2 YEAR;

INSERT INTO events_by_arrival
SELECT event_id, match_id, sport, type, ts, seq, team_id, player_id, payload, request_id, accepted_at, written_at
FROM events;

EXCHANGE TABLES events AND events_by_arrival;

DROP TABLE events_by_arrival;

CREATE TABLE IF NOT EXISTS predictions_by_arrival
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
PARTITION BY toYYYYMM(written_at)
ORDER BY (match_id, seq)
TTL toDateTime(written_at) + INTERVAL 2 YEAR;

INSERT INTO predictions_by_arrival
SELECT match_id, seq, sport, event_id, event_type, p_team1, p_draw, p_team2, model_version, at, written_at
FROM predictions;

EXCHANGE TABLES predictions AND predictions_by_arrival;

DROP TABLE predictions_by_arrival;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_per_match_mv TO events_per_match AS
SELECT match_id, any(sport) AS sport, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
GROUP BY match_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS latest_predictions_mv TO latest_predictions AS
SELECT match_id, seq, p_team1, p_draw, p_team2, model_version, at
FROM predictions
ORDER BY seq DESC
LIMIT 1 BY match_id;

-- What the pipeline could not deliver, kept until someone re-drives it (`npm run redrive`), never expired:
--   source 'quarantine'      an analytics row ClickHouse refused on its own after its batch was split
--   source 'unknown_message' a queue message of a kind or version this deploy cannot read
--   source 'events_dlq' / 'analytics_dlq'  a message that failed max_retries times (the DLQ consumers)
-- The body is the row or message as JSON, base64-encoded: a row ClickHouse refused (a lone surrogate,
-- say) is still plain ASCII here. State is replaced by later rows of the same id ('parked' → 'redriven').
CREATE TABLE IF NOT EXISTS dead_letters
(
    id           UUID,
    source       LowCardinality(String),
    target       LowCardinality(String) DEFAULT '',
    event_id     String DEFAULT '',
    match_id     String DEFAULT '',
    error        String DEFAULT '',
    body_base64  String,
    state        LowCardinality(String) DEFAULT 'parked',
    parked_at    DateTime64(3, 'UTC') DEFAULT now64(3),
    updated_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;
