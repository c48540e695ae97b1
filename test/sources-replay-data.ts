// Node side of test/sources-replay.test.ts: the Worker tests run in workerd, which cannot read the shared
// data, so vitest.config.ts reads these few real files at start-up and provides their text to the tests
// (`inject("sourcesReplay")`). Read from ../shared/data, never copied into the project.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { WYSCOUT_DATA_DIR } from "../dev/simulator/wyscout-data";

/** The 2018 final (own goal, penalty), Russia–Croatia (extra time, shoot-out), Albania–Switzerland (a red). */
export const REPLAYED_WYSCOUT_MATCHES = [2058017, 2058012, 1694391];

export interface SourcesReplayData {
  /** Raw match files (JSON text) and their metadata entries, by wyId. */
  wyscout: { wyId: number; file: string; meta: string }[];
  /** The shared CS2 dedicated-server log, as text. */
  cs2Log: string;
  /** The 192 real CS2 GSI POST bodies, in capture order (JSON text). */
  cs2Gsi: string[];
}

export function readSourcesReplayData(): SourcesReplayData {
  const meta = ["matches_World_Cup.json", "matches_European_Championship.json"].flatMap(
    (f) => JSON.parse(readFileSync(join(WYSCOUT_DATA_DIR, f), "utf8")) as { wyId: number }[],
  );
  return {
    wyscout: REPLAYED_WYSCOUT_MATCHES.map((wyId) => ({
      wyId,
      file: gunzipSync(readFileSync(join(WYSCOUT_DATA_DIR, "matches", `${wyId}.json.gz`))).toString("utf8"),
      meta: JSON.stringify(meta.find((m) => m.wyId === wyId)),
    })),
    cs2Log: gunzipSync(readFileSync(join(WYSCOUT_DATA_DIR, "../cs/server-logs/nuel-2018-overpass.log.gz"))).toString(
      "utf8",
    ),
    cs2Gsi: (
      JSON.parse(
        gunzipSync(readFileSync(join(WYSCOUT_DATA_DIR, "../cs/gsi/cs2-gsi-capture.json.gz"))).toString("utf8"),
      ) as { body: string }[]
    ).map((p) => p.body),
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    sourcesReplay: SourcesReplayData;
  }
}
