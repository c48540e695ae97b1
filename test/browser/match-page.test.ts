// The live match page in a real browser (Debian's Chromium via playwright-core) against the real local
// runtime (wrangler dev, the queue, the match room, Postgres, Redis, ClickHouse): open the list and a
// match, post a goal and see the score and the chart move, drop the socket and see the page resume
// without missing or repeating an event. Screenshots: test/browser/screenshots/ (git-ignored).
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserRuntime, startBrowserRuntime } from "./runtime";

const SCREENSHOTS = join(import.meta.dirname, "screenshots");
/** How long the page may take to show a posted event (queue → room → socket → DOM); it takes ~10-100 ms. */
const SHOW_WITHIN_MS = 5_000;

let rt: BrowserRuntime;
const matchId = `browser-${randomUUID().slice(0, 8)}`;
let source = 0;

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${rt.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${rt.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

function footballEvent(type: string, payload: Record<string, unknown>, teamId?: 1 | 2) {
  source++;
  return {
    eventId: randomUUID(),
    matchId,
    sport: "football",
    type,
    timestamp: new Date().toISOString(),
    seq: source,
    ...(teamId ? { teamId } : {}),
    payload,
  };
}

async function post(events: ReturnType<typeof footballEvent>[]): Promise<void> {
  await api("POST", "/v1/events", events);
}

const attr = (page: Page, selector: string, name: string) => page.locator(selector).getAttribute(name);

beforeAll(async () => {
  rt = await startBrowserRuntime((m) => console.log(`[browser] ${m}`));
  await api("POST", "/v1/teams", { id: `${matchId}-home`, sport: "football", name: "Harbour City", rating: 1800 });
  await api("POST", "/v1/teams", { id: `${matchId}-away`, sport: "football", name: "Northvale", rating: 1700 });
  await api("POST", "/v1/matches", {
    id: matchId,
    sport: "football",
    team1Id: `${matchId}-home`,
    team2Id: `${matchId}-away`,
    tournament: "Browser Cup",
  });
  await post([footballEvent("match_start", {}), footballEvent("shot", { minute: 3 }, 2)]);
}, 180_000);

afterAll(async () => {
  await rt?.stop();
});

describe("the live match page", () => {
  it("is served at / while the API paths still reach the Worker", async () => {
    const page = await fetch(`${rt.baseUrl}/`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain('<main id="main"');
    const health = await fetch(`${rt.baseUrl}/health`);
    expect(health.headers.get("content-type")).toMatch(/application\/json/);
    const unauthenticated = await fetch(`${rt.baseUrl}/v1/matches`);
    expect(unauthenticated.status).toBe(401);
  });

  it("says so, and stops, when the token is refused", async () => {
    const context = await rt.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rt.baseUrl}/#/match/${matchId}?token=mp_not_a_key`);
    await page.waitForSelector('body[data-connection="unauthorized"]', { timeout: SHOW_WITHIN_MS });
    expect(await page.locator("#connection").textContent()).toContain("The token was refused");
    expect(await page.locator(".scoreboard .t1").textContent()).toBe("Team 1"); // no metadata either
    await page.goto(`${rt.baseUrl}/`);
    await page.evaluate("sessionStorage.clear()");
    await page.reload();
    expect(await page.locator("#notice-title").textContent()).toBe("No access token");
    await context.close();
  });

  it("lists matches, follows a match live, and resumes after a dropped socket without missing an event", async () => {
    const context = await rt.browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(err.message));

    // The list, opened with the key in the fragment; the key leaves the address bar at once.
    const loading = performance.now();
    await page.goto(`${rt.baseUrl}/#token=${rt.apiKey}`);
    const link = page.getByRole("link", { name: "Harbour City vs Northvale" });
    await link.waitFor({ timeout: SHOW_WITHIN_MS });
    const listMs = performance.now() - loading;
    expect(page.url()).not.toContain(rt.apiKey);

    // Keyboard: focus the match's link and press Enter.
    const opened = performance.now();
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector('#score[data-score="0-0"]', { timeout: SHOW_WITHIN_MS });
    await page.waitForSelector('body[data-connection="open"]', { timeout: SHOW_WITHIN_MS });
    const matchViewMs = performance.now() - opened;
    expect(await page.locator(".scoreboard .t1").textContent()).toBe("Harbour City");
    expect(await page.locator("#clock").textContent()).toContain("3′");
    expect(sockets.at(-1)).toContain(`/v1/matches/${matchId}/live?token=`);

    // A goal: the score and the chart follow (timed in the page, from just before the POST).
    const pointsBefore = Number(await attr(page, "#chart", "data-points"));
    // (Page code as strings: this file is type-checked without the DOM library.)
    await page.evaluate(`new MutationObserver(() => { window.scoreChangedAt ??= Date.now(); })
      .observe(document.getElementById("score"), { childList: true, characterData: true, subtree: true })`);
    const goal = footballEvent("goal", { minute: 12 }, 1);
    const postedAt = Date.now();
    await post([goal]);
    await page.waitForSelector('#score[data-score="1-0"]', { timeout: SHOW_WITHIN_MS });
    const goalToScoreMs = Number(await page.evaluate("window.scoreChangedAt")) - postedAt;
    await page.waitForFunction(`Number(document.getElementById("chart").dataset.points) > ${pointsBefore}`, null, {
      timeout: SHOW_WITHIN_MS,
    });
    expect(await page.locator(`#feed li[data-event-id="${goal.eventId}"]`).textContent()).toContain(
      "Goal · Harbour City",
    );

    // Drop the socket; hold the reconnect at the top of its first back-off window (~3 s) so the events
    // below certainly land while the page is disconnected.
    const lastSeqBefore = Number(await attr(page, "#main", "data-seq"));
    await page.evaluate(() => {
      Math.random = () => 0; // the client waits ceiling × (1 − random): the full 3 s
    });
    const dropped = await page.evaluate("window.matchpulsePage.dropSocket()");
    expect(dropped).toBe(true);
    await page.waitForSelector('body[data-connection="reconnecting"]', { timeout: SHOW_WITHIN_MS });
    const missed = [
      footballEvent("yellow_card", { minute: 20 }, 2),
      footballEvent("goal", { minute: 23 }, 1),
      footballEvent("corner", { minute: 24 }, 2),
    ];
    await post(missed);
    // The room has applied them while the page is still away.
    await expect
      .poll(async () => ((await (await api("GET", `/v1/matches/${matchId}/state`)).json()) as { seq: number }).seq, {
        timeout: SHOW_WITHIN_MS,
      })
      .toBe(lastSeqBefore + missed.length);
    expect(await page.locator("body").getAttribute("data-connection")).toBe("reconnecting");

    await page.waitForSelector('#score[data-score="2-0"]', { timeout: 10_000 });
    await page.waitForSelector('body[data-connection="open"]', { timeout: SHOW_WITHIN_MS });
    expect(sockets.at(-1)).toContain(`since=${lastSeqBefore}`);
    for (const e of [goal, ...missed]) {
      expect(await page.locator(`#feed li[data-event-id="${e.eventId}"]`).count(), e.type).toBe(1);
    }
    // Newest first.
    expect(await page.locator("#feed li").first().getAttribute("data-event-id")).toBe(missed[2]!.eventId);
    expect(Number(await attr(page, "#main", "data-seq"))).toBe(lastSeqBefore + missed.length);

    // A correction: the first goal is withdrawn; the score follows and the feed says so.
    const retract = footballEvent("retract", { targetEventId: goal.eventId, reason: "var_no_goal" });
    await post([retract]);
    await page.waitForSelector('#score[data-score="1-0"]', { timeout: SHOW_WITHIN_MS });
    await page.waitForSelector(`#feed li.retracted[data-event-id="${goal.eventId}"]`, { timeout: SHOW_WITHIN_MS });
    expect(await page.locator(`#feed li[data-event-id="${retract.eventId}"]`).textContent()).toContain("Correction");
    expect(problems).toEqual([]);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "match.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, "match-phone.png"), fullPage: true });
    console.log(
      `[browser] list shown ${listMs.toFixed(0)} ms after goto; match view live ${matchViewMs.toFixed(0)} ms after Enter; goal POST → score in the page ${goalToScoreMs} ms`,
    );
    await context.close();
  });

  it("a fan's page runs on a viewer token: its matches only, the live socket with access_token", async () => {
    const minted = await api("POST", "/v1/viewer-tokens", { matchIds: [matchId], ttlSeconds: 300 });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const context = await rt.browser.newContext();
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(`${rt.baseUrl}/#access_token=${token}`);
    const link = page.getByRole("link", { name: "Harbour City vs Northvale" });
    await link.waitFor({ timeout: SHOW_WITHIN_MS });
    expect(await page.locator("#list tbody tr, table tbody tr").count()).toBe(1);
    expect(page.url()).not.toContain(token);
    await link.click();
    await page.waitForSelector('body[data-connection="open"]', { timeout: SHOW_WITHIN_MS });
    expect(sockets.at(-1)).toContain(`/v1/matches/${matchId}/live?access_token=`);
    await context.close();
  });
});
