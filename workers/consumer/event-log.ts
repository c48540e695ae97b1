// Rows for the ClickHouse event log. One insert per consumer batch; redelivered events (and an event
// re-sent with another timestamp) collapse in the ReplacingMergeTree on (match_id, event_id, tenant_id).
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { EventLogRow, EventsMessage } from "../queue/messages";
import { DEFAULT_TENANT } from "../tenants/tenant";

export type { EventLogRow };

export function eventLogRows(messages: EventsMessage[]): EventLogRow[] {
  const rows: EventLogRow[] = [];
  for (const m of messages) {
    const acceptedAt = new Date(m.acceptedAt).toISOString();
    const tenantId = m.tenantId ?? DEFAULT_TENANT;
    for (const e of m.events) {
      rows.push({
        tenant_id: tenantId,
        event_id: e.eventId,
        match_id: e.matchId,
        sport: e.sport,
        type: e.type,
        ts: e.timestamp,
        seq: e.seq ?? 0,
        team_id: e.teamId ?? 0,
        player_id: e.playerId ?? "",
        payload: JSON.stringify(e.payload ?? {}),
        request_id: m.requestId,
        accepted_at: acceptedAt,
      });
    }
  }
  return rows;
}

export async function writeEventLog(client: ClickHouseClient, rows: EventLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: "events",
    values: rows,
    format: "JSONEachRow",
    // Timestamps arrive as RFC 3339 with any offset.
    clickhouse_settings: { date_time_input_format: "best_effort" },
  });
}
