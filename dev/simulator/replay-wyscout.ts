// A real Wyscout match as contract events (the pure mapping is shared/sources/wyscout/parse.ts): reads the
// match file (.json or .json.gz) and, when given, the matches_*.json metadata for home/away, kick-off,
// substitutions and the official result. Source: Wyscout public data, CC BY 4.0 (WYSCOUT_CREDIT).
import { MATCH_ID_PATTERN } from "../../shared/contract/event";
import { type WyscoutMatchMeta, type WyscoutReplay, wyscoutEvents } from "../../shared/sources/wyscout/parse";
import { readWyscoutMatch, readWyscoutMeta, wyIdOf } from "./wyscout-data";

export interface WyscoutReplayFile extends WyscoutReplay {
  wyId: number | undefined;
  meta: WyscoutMatchMeta | undefined;
}

export async function replayWyscoutFile(
  path: string,
  matchId: string,
  matchesFiles?: string[],
  kickoff?: Date,
): Promise<WyscoutReplayFile> {
  if (!MATCH_ID_PATTERN.test(matchId))
    throw new Error(`match id must be 1-64 characters of A-Z a-z 0-9 . _ : -, got "${matchId}"`);
  const file = await readWyscoutMatch(path);
  const wyId = wyIdOf(file);
  const meta =
    matchesFiles === undefined || wyId === undefined ? undefined : (await readWyscoutMeta(matchesFiles)).get(wyId);
  if (matchesFiles !== undefined && meta === undefined)
    throw new Error(`match ${wyId} is not in ${matchesFiles.join(", ")}`);
  return {
    ...wyscoutEvents(file, {
      matchId,
      ...(meta === undefined ? {} : { meta }),
      ...(kickoff === undefined ? {} : { kickoff }),
    }),
    wyId,
    meta,
  };
}
