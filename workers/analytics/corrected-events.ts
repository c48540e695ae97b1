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
// Why it is cheap: one pass over the match's rows (the sorting key starts with tenant and match, so a read
// touches only the match's granules) and one GROUP BY, no join. Type filters and the retraction anti-join
// apply to raw rows before grouping (an event's type and id are the same in every copy), each amend row is
// grouped with its target, and a payload is rebuilt only where an amend changed it. Counts (metrics,
// timeline) read `countedEvents`, which skips the amend fold: amends cannot change type, time or sport.
//
// It is also the one entry of every analytics read (tenants, issue 13): a query is built by `scopedQuery`
// from sources that are each already filtered to one tenant ({tenantId:String}, bound from the caller's
// tenant and never from query text), so no query can read another tenant's rows, whatever match ids it
// is asked about. The raw tables are named only here (test/tenants-events.test.ts checks the others).
import type { BoundQuery } from "./clickhouse-rows";

/** The match's raw rows (every copy of every event, corrections included), within the tenant. */
const MATCH_ROWS = "FROM events WHERE tenant_id = {tenantId:String} AND match_id = {matchId:String}";

/** Ids the match's `retract` rows name: a retraction that arrived before its target still applies. */
const RETRACTED = `SELECT toUUIDOrZero(JSONExtractString(payload, 'targetEventId')) ${MATCH_ROWS} AND type = 'retract'`;

/** Event types as they appear in SQL text: constants of the code, never request input. */
const TYPE = /^[a-z][a-z0-9_]*$/;

function typeFilter(types: readonly string[] | undefined): string {
  // Qualified: within the grouping below, a bare `type` is the any(type) alias.
  if (!types) return "events.type NOT IN ('retract', 'amend')";
  if (types.length === 0 || !types.every((t) => TYPE.test(t) && t !== "retract" && t !== "amend"))
    throw new Error(`not a list of match event types: ${JSON.stringify(types)}`);
  return `events.type IN (${types.map((t) => `'${t}'`).join(", ")})`;
}

/**
 * The match's events (of the given types), one row per event_id, retracted ones and corrections left out.
 * The type filter and the retraction anti-join apply to raw rows before grouping (an event's type and id
 * are the same in every copy), so a read of a few types touches only their rows.
 */
const counted = (types?: readonly string[]) => `
  SELECT event_id, any(sport) AS sport, any(type) AS type, min(ts) AS ts, any(seq) AS seq,
         any(team_id) AS team_id, any(player_id) AS player_id, any(payload) AS payload,
         min(accepted_at) AS accepted_at, min(written_at) AS written_at
  ${MATCH_ROWS} AND ${typeFilter(types)} AND event_id NOT IN (${RETRACTED})
  GROUP BY event_id`;

/**
 * The match's events (of the given types) with their amendments folded in, in one pass over the match's
 * rows and no join: each amend row is grouped with its target (its group key is the target's id), so one
 * aggregation yields the original's fields and the last value each amend set, in source order (seq, then
 * timestamp, then the amend's id). A payload is rebuilt key by key only when an amend changed it.
 */
const corrected = (types?: readonly string[]) => `
  SELECT id AS event_id, sport, type, ts, seq,
         if(has_team, team, original_team) AS team_id,
         if(has_player, player, original_player) AS player_id,
         -- Short-circuit: the merge runs only for the events an amend changed the payload of. Entries
         -- (key, order, value) sorted by key, then order: the last of each key wins.
         if(empty(patches), original_payload, concat('{', arrayStringConcat(arrayMap(x -> concat(toJSONString(x.1), ':', x.3),
           arrayFilter((x, i) -> i = length(merged) OR merged[i + 1].1 != x.1,
             arraySort(x -> (x.1, x.2), arrayConcat(
               arrayMap(kv -> (kv.1, tuple(toUInt8(0), toUInt32(0), ts, id), kv.2), JSONExtractKeysAndValuesRaw(original_payload)),
               arrayFlatten(arrayMap(p -> arrayMap(kv -> (kv.1, p.1, kv.2), JSONExtractKeysAndValuesRaw(p.2)), patches)))) AS merged,
             arrayEnumerate(merged))), ','), '}')) AS payload,
         accepted_at, written_at
  FROM
  (
    SELECT id,
           anyIf(sport, NOT is_amend) AS sport, anyIf(type, NOT is_amend) AS type, minIf(ts, NOT is_amend) AS ts,
           anyIf(seq, NOT is_amend) AS seq, anyIf(team_id, NOT is_amend) AS original_team,
           anyIf(player_id, NOT is_amend) AS original_player, anyIf(payload, NOT is_amend) AS original_payload,
           minIf(accepted_at, NOT is_amend) AS accepted_at, minIf(written_at, NOT is_amend) AS written_at,
           countIf(NOT is_amend) AS copies,
           countIf(is_amend AND JSONHas(changes, 'teamId')) > 0 AS has_team,
           toUInt8(argMaxIf(JSONExtractUInt(changes, 'teamId'), ord, is_amend AND JSONHas(changes, 'teamId'))) AS team,
           countIf(is_amend AND JSONHas(changes, 'playerId')) > 0 AS has_player,
           argMaxIf(JSONExtractString(changes, 'playerId'), ord, is_amend AND JSONHas(changes, 'playerId')) AS player,
           groupArrayIf((ord, JSONExtractRaw(changes, 'payload')), is_amend AND JSONHas(changes, 'payload')) AS patches
    FROM
    (
      SELECT type = 'amend' AS is_amend,
             if(is_amend, toUUIDOrZero(JSONExtractString(payload, 'targetEventId')), event_id) AS id,
             if(is_amend, JSONExtractRaw(payload, 'changes'), '') AS changes,
             tuple(toUInt8(1), seq, ts, event_id) AS ord,
             sport, type, ts, seq, team_id, player_id, payload, accepted_at, written_at
      ${MATCH_ROWS} AND (type = 'amend' OR (${typeFilter(types)} AND event_id NOT IN (${RETRACTED})))
    )
    GROUP BY id
    HAVING copies > 0
  )`;

/**
 * What analytics queries read, each a subquery already within the tenant. `correctedEvents` is one match's
 * corrected log (it needs {matchId:String}); the others are whole tables of the tenant, for the caller to
 * filter by match.
 */
export interface TenantSources {
  /** The corrected log of the match, or of only the given event types (cheaper: only their rows are read). */
  correctedEvents(types?: readonly string[]): string;
  /**
   * The match's events with their type, times and sport only, retracted ones and corrections left out:
   * what counts need. Amendments cannot change these fields, so the amend merge is skipped.
   */
  countedEvents: string;
  /** The predictions table, repeats collapsed (FINAL). */
  predictions: string;
  /** First and last event time per match (rollup of the log). */
  eventsPerMatch: string;
  /** The latest prediction per match (rollup; take argMax by seq). */
  latestPredictions: string;
}

const SOURCES: TenantSources = {
  correctedEvents: (types) => `(${corrected(types)})`,
  countedEvents: `(${counted()})`,
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
