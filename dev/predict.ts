// Win-probability CLI: reads NDJSON states on stdin, writes one NDJSON answer per input line on stdout.
//
//   npm run --silent predict -- football < states.ndjson
//   npm run --silent predict -- cs2 < states.ndjson
//
// Football input:  {"id":"m1","minute":57,"score":[1,0],"redCards":[0,0],"elo":[1912,1850],"neutral":false}
//                  (team 1 is the home side; redCards default [0,0], neutral default false; optional
//                  "knockout":true — a level score at 90 goes to extra time and a shoot-out; minute may then run to 120)
// Football output: {"id":"m1","p":[pTeam1,pDraw,pTeam2],"modelVersion":"…"}  (p = the 90-minute result)
//                  plus "advance":[pTeam1,pTeam2] (goes through) when knockout
// CS2 input:       {"id":"m2","bestOf":3,"mapsWon":[1,0],"roundScore":[7,5],"team1Side":"CT","equipmentValue":[22000,9000],
//                   "alive":[5,4],"bomb":"none","rating":[1650,1600]}
// CS2 output:      {"id":"m2","p":[pTeam1,pTeam2],"pRound":…,"pMap":…,"modelVersion":"…"}   (p = match win)
// A bad line (invalid JSON or fields) is answered with {"line":N,"error":"…"} (N = 1-based input line number) and
// the rest are still answered. Blank lines are skipped. Exit code 0; 2 with usage for an unknown sport.
import { createInterface } from "node:readline";
import { z } from "zod";
import { CS2_MODEL_VERSION, cs2WinProbability } from "../shared/sports/cs2/model";
import { FOOTBALL_MODEL_VERSION, footballPrediction } from "../shared/sports/football/model";

const finite = z.number().finite();
const count = (max: number) => z.number().int().min(0).max(max);
const pair = <T extends z.ZodType>(t: T) => z.tuple([t, t]);
const id = z.union([z.string(), z.number()]);

export const footballInput = z.object({
  id,
  minute: finite.min(0).max(150),
  score: pair(count(99)),
  redCards: pair(count(5)).default([0, 0]),
  elo: pair(finite.min(0).max(5000)),
  neutral: z.boolean().default(false),
  knockout: z.boolean().default(false),
});

export const cs2Input = z
  .object({
    id,
    bestOf: z.union([z.literal(1), z.literal(3), z.literal(5)]),
    mapsWon: pair(count(2)),
    roundScore: pair(count(99)),
    team1Side: z.enum(["CT", "T"]),
    equipmentValue: pair(finite.min(0).max(1_000_000)),
    alive: pair(count(5)),
    bomb: z.enum(["none", "planted", "defused"]),
    rating: pair(finite.min(0).max(5000)),
  })
  .refine((s) => s.mapsWon[0] < (s.bestOf + 1) / 2 && s.mapsWon[1] < (s.bestOf + 1) / 2, {
    message: "mapsWon: the series is already decided for this bestOf",
    path: ["mapsWon"],
  });

export type Sport = "football" | "cs2";

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

/** Answers one input line (already known to be non-blank). */
export function answerLine(sport: Sport, line: string, lineNo: number): string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ line: lineNo, error: `invalid JSON: ${(e as Error).message}` });
  }
  if (sport === "football") {
    const r = footballInput.safeParse(raw);
    if (!r.success) return JSON.stringify({ line: lineNo, error: formatIssues(r.error) });
    const s = r.data;
    const p = footballPrediction({
      minute: s.minute,
      score: s.score,
      redCards: s.redCards,
      elo: s.elo,
      neutral: s.neutral,
      knockout: s.knockout,
    });
    return JSON.stringify(
      p.advance
        ? { id: s.id, p: p.result, advance: p.advance, modelVersion: FOOTBALL_MODEL_VERSION }
        : { id: s.id, p: p.result, modelVersion: FOOTBALL_MODEL_VERSION },
    );
  }
  const r = cs2Input.safeParse(raw);
  if (!r.success) return JSON.stringify({ line: lineNo, error: formatIssues(r.error) });
  const { id: sid, ...features } = r.data;
  const p = cs2WinProbability(features);
  return JSON.stringify({
    id: sid,
    p: [p.pMatch, 1 - p.pMatch],
    pRound: p.pRound,
    pMap: p.pMap,
    modelVersion: CS2_MODEL_VERSION,
  });
}

async function main(): Promise<void> {
  const sport = process.argv[2];
  if (sport !== "football" && sport !== "cs2") {
    process.stderr.write(
      "usage: npm run --silent predict -- <football|cs2>  < states.ndjson  (NDJSON in, NDJSON out)\n",
    );
    process.exit(2);
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let buf = "";
  const flush = async (): Promise<void> => {
    if (!buf) return;
    const ok = process.stdout.write(buf);
    buf = "";
    if (!ok) await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  };
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === "") continue;
    buf += `${answerLine(sport, line, lineNo)}\n`;
    if (buf.length > 64 * 1024) await flush();
  }
  await flush();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`predict: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
