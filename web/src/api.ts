// The REST reads the page makes. The credential goes in the Authorization header (never in a URL that a
// proxy could log); the live socket, which cannot set headers, carries it as a query parameter instead.
import type { MatchStateView, PredictionView } from "../../packages/client/src";
import type { MatchSummary, PredictionPoint } from "./view-model";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string, token: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiFailure(res.status, body?.error?.code ?? "error", body?.error?.message ?? `HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export function listMatches(token: string): Promise<{ data: MatchSummary[] }> {
  return getJson("/v1/matches?limit=50", token);
}

export async function getMatch(matchId: string, token: string): Promise<MatchSummary | null> {
  try {
    return await getJson(`/v1/matches/${encodeURIComponent(matchId)}`, token);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return null; // not registered: the live stream still works
    throw err;
  }
}

export type LiveStateView = MatchStateView & { prediction: PredictionView | null };

/** The prediction history, at most `pages` pages of 1,000 points. */
export async function getPredictions(matchId: string, token: string, pages = 2): Promise<PredictionPoint[]> {
  const points: PredictionPoint[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const query: string = cursor ? `?limit=1000&cursor=${encodeURIComponent(cursor)}` : "?limit=1000";
    const page: { data: PredictionPoint[]; nextCursor: string | null } = await getJson(
      `/v1/matches/${encodeURIComponent(matchId)}/predictions${query}`,
      token,
    );
    points.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return points;
}

/**
 * Whether the API refuses this token for this match. A browser's WebSocket cannot see the HTTP 401 of a
 * refused upgrade (it is just a failed connection, retried with back-off), so the page asks a REST route
 * that takes the same credential.
 */
export async function tokenRefused(matchId: string, token: string): Promise<boolean> {
  try {
    await getJson(`/v1/matches/${encodeURIComponent(matchId)}/state`, token);
    return false;
  } catch (err) {
    return err instanceof ApiFailure && (err.status === 401 || err.status === 403);
  }
}
