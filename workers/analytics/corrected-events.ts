// The corrected truth of one match's event log, as a subquery every analytics read starts from. The log
// keeps every event as it arrived, corrections included (`retract`, `amend`: issue 10 §1); a read sees:
//   - one row per event_id (a redelivered or re-sent event once, merged or not: no FINAL needed);
//   - no correction rows (they are not match events; the log keeps them, /events-style reads can too);
//   - no retracted event: an anti-join on the targets of the match's `retract` rows, wherever they sit in
//     the log (a retraction that arrived before its target still applies, as in the room);
//   - amended values: each field (teamId, playerId, every payload key) from the last amend that set it,
//     in source order (seq, then timestamp), merged over the original, exactly as the room merges them.
// Corrections cannot change an event's type or timestamp, so counts by type and time need only the first
// two rules. What this cannot see: an amend the room refused (a payload invalid for the target's type) is
// still merged here; the contract's ingest validation keeps such amends rare, and the room's state is the
// reference for them.
//
// It is also the one entry of every analytics read (tenants, issue 13): a query is built by `scopedQuery`
// from sources that are each already filtered to one tenant ({tenantId:String}, bound from the caller's
// tenant and never from query text), so no query can read another tenant's rows, whatever match ids it
// is asked about. The raw tables are named only here (test/tenants-events.test.ts checks the others).
import type { BoundQuery } from "./clickhouse-rows";

/** The events of the match, deduplicated by event_id (the log is a ReplacingMergeTree: unmerged repeats). */
const LOG = `
  SELECT event_id, any(sport) AS sport, any(type) AS type, min(ts) AS ts, any(seq) AS seq,
         any(team_id) AS team_id, any(player_id) AS player_id, any(payload) AS payload,
         min(accepted_at) AS accepted_at, min(written_at) AS written_at
  FROM events
  WHERE tenant_id = {tenantId:String} AND match_id = {matchId:String}
  GROUP BY event_id`;

/** The match's amend rows: target, order in the source, and what they change. */
const AMENDS = `
  SELECT toUUIDOrZero(JSONExtractString(payload, 'targetEventId')) AS target,
         tuple(toUInt8(1), seq, ts, event_id) AS ord,
         JSONExtractRaw(payload, 'changes') AS changes
  FROM (${LOG})
  WHERE type = 'amend'`;

/** Per amended event: the last teamId / playerId set, and the payload merged key by key. */
const AMENDED = `
  SELECT f.target AS target, f.has_team AS has_team, f.team AS team, f.has_player AS has_player,
         f.player AS player, p.payload AS merged_payload, p.target != toUUIDOrZero('') AS has_payload
  FROM
  (
    SELECT target,
           countIf(JSONHas(changes, 'teamId')) > 0 AS has_team,
           toUInt8(argMaxIf(JSONExtractUInt(changes, 'teamId'), ord, JSONHas(changes, 'teamId'))) AS team,
           countIf(JSONHas(changes, 'playerId')) > 0 AS has_player,
           argMaxIf(JSONExtractString(changes, 'playerId'), ord, JSONHas(changes, 'playerId')) AS player
    FROM (${AMENDS})
    GROUP BY target
  ) AS f
  LEFT JOIN
  (
    SELECT target, concat('{', arrayStringConcat(groupArray(concat(toJSONString(key), ':', value)), ','), '}') AS payload
    FROM
    (
      SELECT target, kv.1 AS key, argMax(kv.2, ord) AS value
      FROM
      (
        SELECT target, ord, JSONExtractKeysAndValuesRaw(JSONExtractRaw(changes, 'payload')) AS kvs
        FROM (${AMENDS})
        WHERE JSONHas(changes, 'payload')
        UNION ALL
        SELECT event_id AS target, tuple(toUInt8(0), toUInt32(0), ts, event_id) AS ord,
               JSONExtractKeysAndValuesRaw(payload) AS kvs
        FROM (${LOG})
        WHERE event_id IN (SELECT target FROM (${AMENDS}) WHERE JSONHas(changes, 'payload'))
      )
      ARRAY JOIN kvs AS kv
      GROUP BY target, key
    )
    GROUP BY target
  ) AS p ON p.target = f.target`;

const CORRECTED_EVENTS = `
  SELECT l.event_id AS event_id, l.sport AS sport, l.type AS type, l.ts AS ts, l.seq AS seq,
         if(a.has_team, a.team, l.team_id) AS team_id,
         if(a.has_player, a.player, l.player_id) AS player_id,
         if(a.has_payload, a.merged_payload, l.payload) AS payload,
         l.accepted_at AS accepted_at, l.written_at AS written_at
  FROM (${LOG}) AS l
  LEFT JOIN (${AMENDED}) AS a ON a.target = l.event_id
  WHERE l.type NOT IN ('retract', 'amend')
    AND l.event_id NOT IN
    (
      SELECT toUUIDOrZero(JSONExtractString(payload, 'targetEventId'))
      FROM events
      WHERE tenant_id = {tenantId:String} AND match_id = {matchId:String} AND type = 'retract'
    )`;

/**
 * What analytics queries read, each a subquery already within the tenant. `correctedEvents` is one match's
 * corrected log (it needs {matchId:String}); the others are whole tables of the tenant, for the caller to
 * filter by match.
 */
export interface TenantSources {
  correctedEvents: string;
  /** The predictions table, repeats collapsed (FINAL). */
  predictions: string;
  /** First and last event time per match (rollup of the log). */
  eventsPerMatch: string;
  /** The latest prediction per match (rollup; take argMax by seq). */
  latestPredictions: string;
}

const SOURCES: TenantSources = {
  correctedEvents: `(${CORRECTED_EVENTS})`,
  predictions: "(SELECT * FROM predictions FINAL WHERE tenant_id = {tenantId:String})",
  eventsPerMatch: "(SELECT * FROM events_per_match WHERE tenant_id = {tenantId:String})",
  latestPredictions: "(SELECT * FROM latest_predictions WHERE tenant_id = {tenantId:String})",
};

/**
 * An analytics query within one tenant: `build` gets the tenant's sources, `params` its own bound
 * parameters; `tenantId` is bound here and cannot be passed in `params`.
 */
export function scopedQuery(
  tenantId: string,
  build: (from: TenantSources) => string,
  params: Record<string, unknown>,
): BoundQuery {
  if ("tenantId" in params) throw new Error("tenantId is bound by scopedQuery, never by the query itself");
  return { query: build(SOURCES), params: { ...params, tenantId } };
}
