// Reading the shared Wyscout files (Node only: tests, the simulator CLI, the verify script). The parser
// (shared/sources/wyscout/parse.ts) stays pure; this is the thin I/O beside it.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { WyscoutMatchMeta } from "../../shared/sources/wyscout/parse";

export const WYSCOUT_DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/data/wyscout");

export async function readWyscoutMatch(path: string): Promise<unknown> {
  const bytes = await readFile(path);
  return JSON.parse((path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8"));
}

/** Every entry of the given matches_*.json files (default: both shared ones), by wyId. */
export async function readWyscoutMeta(paths?: string[]): Promise<Map<number, WyscoutMatchMeta>> {
  const files =
    paths ??
    (await readdir(WYSCOUT_DATA_DIR)).filter((f) => /^matches_.*\.json$/.test(f)).map((f) => join(WYSCOUT_DATA_DIR, f));
  const out = new Map<number, WyscoutMatchMeta>();
  for (const f of files) {
    const list = JSON.parse(await readFile(f, "utf8")) as WyscoutMatchMeta[];
    for (const m of list) out.set(m.wyId, m);
  }
  return out;
}

export async function wyscoutMatchFiles(): Promise<string[]> {
  const dir = join(WYSCOUT_DATA_DIR, "matches");
  return (await readdir(dir))
    .filter((f) => f.endsWith(".json.gz"))
    .sort()
    .map((f) => join(dir, f));
}

/** The wyId of a match file: its events' matchId. */
export function wyIdOf(file: unknown): number | undefined {
  const events = (file as { events?: { matchId?: unknown }[] }).events;
  const id = Array.isArray(events) ? events[0]?.matchId : undefined;
  return typeof id === "number" ? id : undefined;
}
