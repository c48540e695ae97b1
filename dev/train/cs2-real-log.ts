// The CS2 model on the one real map we have: the shared dedicated-server log (NUEL 2018, de_overpass, MR15)
// goes through the real source parser (shared/sources/cs2-log) and the CS2 reducer, and the live model's
// team-1 map-win probability is read at every round start and end. Writes docs/images/cs2-real-log.svg and
// the table between the `cs2-real-log` markers in docs/models.md.
//   npm run --silent train:cs2-real-log
// One map proves nothing statistically (one outcome); the plot shows the path is sane, not that it is calibrated.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { MatchEvent } from "../../shared/contract/event";
import { newCs2LogCursor, parseCs2LogBatch } from "../../shared/sources/cs2-log/parse";
import { cs2 } from "../../shared/sports/cs2";
import { PROJECT_ROOT } from "../stack";

const LOG = join(PROJECT_ROOT, "..", "shared", "data", "cs", "server-logs", "nuel-2018-overpass.log.gz");
const EVEN = { rating: [1500, 1500] as [number, number], neutral: true };

export interface PathPoint {
  /** Round number the point belongs to; `at` says whether it is read at its start or its end. */
  round: number;
  at: "start" | "end";
  score: [number, number];
  pTeam1: number;
}

/** The model's path through a parsed feed: one point per round start and round end. Pure. */
export function probabilityPath(events: readonly MatchEvent[]): { points: PathPoint[]; final: [number, number] } {
  let state = cs2.initialState();
  let points: PathPoint[] = [];
  let final: [number, number] = [0, 0];
  for (const e of events) {
    state = cs2.applyEvent(state, e);
    // A (re)started map: what came before it does not count.
    if (e.type === "map_start" || e.type === "map_restart") points = [];
    if (e.type === "map_end") final = [...(state.mapResults.at(-1)?.roundScore ?? state.roundScore)];
    if (e.type !== "round_start" && e.type !== "round_end") continue;
    const round = Number((e.payload as { round?: number } | undefined)?.round ?? 0);
    const p = cs2.winProbability(state, EVEN);
    points.push({
      round,
      at: e.type === "round_start" ? "start" : "end",
      score: [...state.roundScore],
      pTeam1: p.pTeam1,
    });
    final = [...state.roundScore];
  }
  return { points, final };
}

function svg(points: PathPoint[], title: string): string {
  const W = 640;
  const H = 260;
  const pad = { l: 44, r: 12, t: 28, b: 34 };
  const maxRound = Math.max(...points.map((p) => p.round), 1);
  const x = (p: PathPoint) => pad.l + ((p.round - (p.at === "start" ? 1 : 0.05)) / maxRound) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v) * (H - pad.t - pad.b);
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p).toFixed(1)},${y(p.pTeam1).toFixed(1)}`).join(" ");
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
        `<text x="${pad.l - 6}" y="${y(v) + 3}" text-anchor="end">${v.toFixed(2)}</text>`,
    )
    .join("");
  const ticks = Array.from({ length: Math.ceil(maxRound / 5) + 1 }, (_, i) => i * 5)
    .filter((r) => r <= maxRound)
    .map((r) => {
      const px = pad.l + (r / maxRound) * (W - pad.l - pad.r);
      return `<text x="${px}" y="${H - pad.b + 14}" text-anchor="middle">${r}</text>`;
    })
    .join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="10" role="img">`,
    `<title>${title}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${pad.l}" y="16" font-size="12">${title}</text>`,
    grid,
    ticks,
    `<text x="${(W + pad.l) / 2}" y="${H - 6}" text-anchor="middle">round</text>`,
    `<path d="${path}" fill="none" stroke="#1f5fbf" stroke-width="1.6"/>`,
    "</svg>",
  ].join("\n");
}

/** The shared log's events, through the real parser. */
export function realLogEvents(): MatchEvent[] {
  const text = gunzipSync(readFileSync(LOG)).toString("utf8");
  return parseCs2LogBatch(text, newCs2LogCursor({ sourceId: "nuel-2018-overpass", matchId: "real-log" })).events;
}

function main(): void {
  const parsed = { events: realLogEvents() };
  const { points, final } = probabilityPath(parsed.events);
  const winner = final[0] > final[1] ? 1 : 2;
  const ends = points.filter((p) => p.at === "end");
  const brier = ends.reduce((s, p) => s + (p.pTeam1 - (winner === 1 ? 1 : 0)) ** 2, 0) / Math.max(1, ends.length);
  writeFileSync(
    join(PROJECT_ROOT, "docs/images/cs2-real-log.svg"),
    svg(points, `de_overpass (real server log): P(team 1 wins the map), final ${final[0]}:${final[1]}`),
  );
  const rows = ends.map((p) => `| ${p.round} | ${p.score[0]}:${p.score[1]} | ${p.pTeam1.toFixed(3)} |`);
  const table = [
    "<!-- cs2-real-log:start (written by dev/train/cs2-real-log.ts) -->",
    `Final map score ${final[0]}:${final[1]} (team ${winner} won), ${parsed.events.length} events from the log, ` +
      `${ends.length} rounds. Mean Brier score of the map-win probability after each round against the one ` +
      `outcome: ${brier.toFixed(3)}.`,
    "",
    "![P(team 1 wins the map) through the real map](images/cs2-real-log.svg)",
    "",
    "| after round | score | P(team 1 wins the map) |",
    "| --- | --- | --- |",
    ...rows,
    "<!-- cs2-real-log:end -->",
  ].join("\n");
  const docPath = join(PROJECT_ROOT, "docs/models.md");
  const doc = readFileSync(docPath, "utf8");
  const start = doc.indexOf("<!-- cs2-real-log:start");
  const end = doc.indexOf("<!-- cs2-real-log:end -->");
  if (start < 0 || end < 0) throw new Error("docs/models.md has no cs2-real-log markers");
  writeFileSync(docPath, doc.slice(0, start) + table + doc.slice(end + "<!-- cs2-real-log:end -->".length));
  console.log(`final ${final[0]}:${final[1]}, ${ends.length} rounds, Brier ${brier.toFixed(3)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
