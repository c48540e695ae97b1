// SourceSession: one Durable Object per registered source (a CS2 server's log stream, a GSI client). It
// holds what a batch needs, in its SQLite: the token's hash, whether it is revoked, and the parser's cursor.
//
// Why a Durable Object and not a Postgres row: a retrying server sends overlapping batches, and two of them
// parsed from the same cursor would emit the same seq for different lines. One object per source runs its
// batches one after the other (the chain below: awaiting the queue opens the input gate, so the object
// serializes explicitly), without a database round trip or a retry loop on the hot path, and the answer
// needs no Postgres at all. Postgres keeps the admin's list of sources.
//
// Durability order: parse → enqueue the events → store the new cursor. A failed enqueue keeps the old
// cursor (the server retries, the same lines give the same events and eventIds); a cursor lost after the
// enqueue re-emits the same eventIds, which the rooms drop.
import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import {
  batchToken,
  newSourceCursor,
  parseSourceBatch,
  readSourceInput,
  type SourceConfig,
  type SourceCursor,
} from "../../shared/sources/session";
import { MAX_ISSUES, type SourceIssue } from "../../shared/sources/source";
import { hashApiKey } from "../api/api-keys";
import { withPostgres } from "../clients/postgres";
import { tenants } from "../clients/postgres-schema";
import { openRedis } from "../clients/redis";
import type { Env } from "../env";
import { chargeDayQuota, releaseEventIds } from "../ingest/dedup";
import { packEvents, toSendBatches } from "../ingest/pack";
import { errorMessage, log } from "../observability/log";
import { DEFAULT_TENANT } from "../tenants/tenant";

export type SourceIngestResult =
  | { ok: true; events: number; issues: SourceIssue[] }
  | { ok: false; reason: "unknown" | "revoked" | "token" }
  /** The batch's events would pass the tenant's events-per-day quota: nothing was queued, the cursor stays. */
  | { ok: false; reason: "quota"; limit: number; remaining: number; resetMs: number };

/** The tenant's quota is asked of Postgres at most this often per session object. */
const QUOTA_CACHE_MS = 60_000;

interface Stored {
  config: SourceConfig;
  /** The tenant that registered the source: its events go to that tenant's match (absent: default). */
  tenantId?: string;
  tokenHash: string;
  revoked: boolean;
  cursor: SourceCursor;
}

export class SourceSession extends DurableObject<Env> {
  private chain: Promise<unknown> = Promise.resolve();
  private session: Stored | null;
  private quota: { eventsPerDay: number | null; at: number } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS session (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    const row = ctx.storage.sql.exec<{ v: string }>("SELECT v FROM session WHERE k = 'session'").toArray()[0];
    this.session = row === undefined ? null : (JSON.parse(row.v) as Stored);
  }

  private save(session: Stored): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO session (k, v) VALUES ('session', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
      JSON.stringify(session),
    );
    this.session = session;
  }

  /** Called once when the source is registered; a repeat with the same token hash changes nothing. */
  async configure(config: SourceConfig, tokenHash: string, tenantId: string = DEFAULT_TENANT): Promise<void> {
    if (this.session !== null && this.session.tokenHash === tokenHash) return;
    this.save({ config, tenantId, tokenHash, revoked: false, cursor: newSourceCursor(config) });
  }

  /** Idempotent; effective for every later batch at once. */
  async revoke(): Promise<void> {
    if (this.session !== null && !this.session.revoked) this.save({ ...this.session, revoked: true });
  }

  /** One POSTed batch. Throws only when the queue refused the events (the caller answers 503). */
  ingest(text: string, queryToken: string | null, requestId: string): Promise<SourceIngestResult> {
    const run = this.chain.then(() => this.ingestNow(text, queryToken, requestId));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async ingestNow(text: string, queryToken: string | null, requestId: string): Promise<SourceIngestResult> {
    const session = this.session;
    if (session === null) return { ok: false, reason: "unknown" };
    if (session.revoked) return { ok: false, reason: "revoked" };
    const input = readSourceInput(session.config.kind, text);
    const token = batchToken(session.config.kind, input, queryToken);
    if (token === null || (await hashApiKey(token, this.env.API_KEY_PEPPER)) !== session.tokenHash)
      return { ok: false, reason: "token" };
    const receivedAt = new Date();
    const parsed = parseSourceBatch(input, session.cursor, receivedAt);
    if (parsed.events.length > 0) {
      const tenantId = session.tenantId ?? DEFAULT_TENANT;
      const now = receivedAt.getTime();
      const charged = await this.chargeQuota(tenantId, parsed.events.length, now, requestId);
      if (charged !== null && !charged.ok) {
        const { limit, remaining, resetMs } = charged;
        return { ok: false, reason: "quota", limit, remaining, resetMs };
      }
      const batches = toSendBatches(
        packEvents(parsed.events, { requestId, acceptedAt: receivedAt.getTime(), tenantId: session.tenantId }),
      );
      try {
        for (const batch of batches) await this.env.EVENTS_QUEUE.sendBatch(batch.map((body) => ({ body })));
      } catch (err) {
        // The events were not taken: the day quota gets them back (the server resends the lines).
        if (charged?.ok)
          await releaseEventIds(openRedis(this.env), [], { tenantId, charged: parsed.events.length, now }).catch(
            () => {},
          );
        throw err;
      }
    }
    // Re-read: a revoke may have landed while the queue was awaited, and must not be overwritten.
    this.save({ ...(this.session ?? session), cursor: parsed.cursor });
    return { ok: true, events: parsed.events.length, issues: parsed.issues.slice(0, MAX_ISSUES) };
  }

  /**
   * Takes the batch's events from the tenant's events-per-day quota (the edge's counter, dedup.ts). Null
   * when there is nothing to take: no quota, or Postgres or Redis cannot be asked (fail open, as at the edge).
   */
  private async chargeQuota(
    tenantId: string,
    events: number,
    now: number,
    requestId: string,
  ): Promise<{ ok: boolean; limit: number; remaining: number; resetMs: number } | null> {
    try {
      if (this.quota === null || now - this.quota.at >= QUOTA_CACHE_MS) {
        const [row] = await withPostgres(this.env, ({ db }) =>
          db.select({ eventsPerDay: tenants.eventsPerDay }).from(tenants).where(eq(tenants.id, tenantId)).limit(1),
        );
        this.quota = { eventsPerDay: row?.eventsPerDay ?? null, at: now };
      }
      const limit = this.quota.eventsPerDay;
      if (limit === null) return null;
      return { limit, ...(await chargeDayQuota(openRedis(this.env), tenantId, events, limit, now)) };
    } catch (err) {
      log("warn", "source batch not metered against the tenant's day quota", {
        requestId,
        tenantId,
        error: errorMessage(err),
      });
      return null;
    }
  }
}
