-- Per-round CS2 metrics, computed from the event log of one match:
--   SELECT * FROM cs2_rounds(match_id = {matchId:String})
-- A parameterized view rather than a materialized table because a round's events (kill, round_end) do
-- not name their map: round numbers restart on every map, and only the order of events says which
-- map_start a round belongs to (map_seq: how many map_starts came at or before the event). Counts are
-- uniqExact over event_id, so redelivered rows count once. One match is a few hundred rows.
-- The side each team played is derived from starting_side by the caller (shared/sports/cs2/sides.ts).
CREATE VIEW IF NOT EXISTS cs2_rounds AS
WITH
    (
        SELECT groupArray((at, body))
        FROM
        (
            SELECT min(ts) AS at, any(payload) AS body
            FROM events
            WHERE match_id = {match_id:String} AND sport = 'cs2' AND type = 'map_start'
            GROUP BY event_id
            ORDER BY at, event_id
        )
    ) AS maps
SELECT
    map_seq,
    toUInt8(JSONExtractUInt(maps[map_seq].2, 'mapNumber')) AS map_number,
    JSONExtractString(maps[map_seq].2, 'mapName') AS map_name,
    JSONExtractString(maps[map_seq].2, 'startingSide') AS starting_side,
    round,
    winner,
    reason,
    ended_at_ms,
    kills,
    headshots,
    kills_team1,
    kills_team2
FROM
(
    SELECT
        toUInt32(arrayCount(m -> m.1 <= ts, maps)) AS map_seq,
        toUInt16(JSONExtractUInt(payload, 'round')) AS round,
        toUInt8(anyIf(team_id, type = 'round_end')) AS winner,
        anyIf(JSONExtractString(payload, 'reason'), type = 'round_end') AS reason,
        toInt64(toUnixTimestamp64Milli(maxIf(ts, type = 'round_end'))) AS ended_at_ms,
        toUInt32(uniqExactIf(event_id, type = 'kill')) AS kills,
        toUInt32(uniqExactIf(event_id, type = 'kill' AND JSONExtractBool(payload, 'headshot'))) AS headshots,
        toUInt32(uniqExactIf(event_id, type = 'kill' AND team_id = 1)) AS kills_team1,
        toUInt32(uniqExactIf(event_id, type = 'kill' AND team_id = 2)) AS kills_team2
    FROM events
    WHERE match_id = {match_id:String} AND sport = 'cs2' AND type IN ('kill', 'round_end')
    GROUP BY map_seq, round
);
