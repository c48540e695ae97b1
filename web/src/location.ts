// Where the page is and which credential it carries, read from its own URL. The token normally travels in
// the fragment (`/#token=…`, `/#/match/<id>?token=…`), which browsers never send to a server, so it does
// not reach access logs; `?token=` in the query is accepted too. Pure: tested without a browser.

/**
 * The query parameter the live socket carries the credential in: `access_token` for a viewer token (a
 * compact JWS minted by the operator's server with POST /v1/viewer-tokens), `token` for an API key.
 */
export function tokenParamFor(token: string): "access_token" | "token" {
  return viewerMatchIds(token) === null ? "token" : "access_token";
}

/** The matches a viewer token is good for (its `mid` claim, read without checking: the server checks), or null. */
export function viewerMatchIds(token: string): string[] | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { mid?: unknown };
    return Array.isArray(claims.mid) && claims.mid.every((m) => typeof m === "string") ? claims.mid : null;
  } catch {
    return null;
  }
}

export type Route = { view: "list" } | { view: "match"; matchId: string };

export interface PageLocation {
  route: Route;
  /** The credential found in the URL, if any (the page keeps it for the tab and strips it from the URL). */
  token: string | null;
  /** The fragment to show instead, without the credential. */
  cleanHash: string;
}

const TOKEN_NAMES = ["token", "access_token"];

/** Reads `location.search` and `location.hash` (both with their leading `?` / `#`, or empty). */
export function parseLocation(search: string, hash: string): PageLocation {
  const fragment = hash.replace(/^#/, "");
  // The fragment is "<path>?<params>", "<path>" or just "<params>".
  const q = fragment.indexOf("?");
  let path = q < 0 ? fragment : fragment.slice(0, q);
  let params = new URLSearchParams(q < 0 ? "" : fragment.slice(q + 1));
  if (q < 0 && !path.startsWith("/") && path.includes("=")) {
    params = new URLSearchParams(path);
    path = "";
  }
  const query = new URLSearchParams(search);
  let token: string | null = null;
  for (const source of [params, query]) {
    for (const name of TOKEN_NAMES) token ??= source.get(name) || null;
  }
  for (const name of TOKEN_NAMES) params.delete(name);
  const rest = params.toString();
  return { route: parseRoute(path), token, cleanHash: path || rest ? `#${path}${rest ? `?${rest}` : ""}` : "" };
}

function parseRoute(path: string): Route {
  const m = /^\/match\/([^/?#]+)$/.exec(path);
  if (!m?.[1]) return { view: "list" };
  try {
    return { view: "match", matchId: decodeURIComponent(m[1]) };
  } catch {
    return { view: "list" };
  }
}

export function matchHref(matchId: string): string {
  return `#/match/${encodeURIComponent(matchId)}`;
}
