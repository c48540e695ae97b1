// `npm run watch -- <matchId> [baseUrl]`: follows a match's live stream through the client package and
// prints one line per update (resumes after drops like any client would). Key: MATCHPULSE_DEV_API_KEY.
import { connectMatch } from "../packages/client/src";
import { DEFAULT_DEV_API_KEY } from "./seed";

const [matchId, baseUrl = `http://127.0.0.1:${process.env.PORT ?? 8787}`] = process.argv.slice(2);
if (!matchId) {
  console.error("usage: npm run watch -- <matchId> [baseUrl]");
  process.exit(2);
}

const live = connectMatch({
  baseUrl,
  matchId,
  token: process.env.MATCHPULSE_DEV_API_KEY || DEFAULT_DEV_API_KEY,
  onFrame: ({ type, seq, state, prediction, events, resumed }) => {
    const p = prediction
      ? ` p=${[prediction.pTeam1, prediction.pDraw, prediction.pTeam2]
          .filter((x) => x !== undefined)
          .map((x) => x.toFixed(2))
          .join("/")}`
      : "";
    const what =
      type === "snapshot"
        ? `snapshot${resumed === false ? " (fresh: history too short)" : ""}`
        : events.map((e) => e.type).join(",");
    console.log(`#${seq} ${String(state.status)} ${JSON.stringify(state.score)}${p}  ${what}`);
  },
  onState: (state, d) =>
    console.error(`[watch] ${state}${d.delayMs !== undefined ? ` in ${Math.round(d.delayMs)} ms` : ""}`),
  onError: (e) => console.error(`[watch] ${e.kind}: ${e.message}`),
});
process.on("SIGINT", () => {
  live.close();
  process.exit(0);
});
