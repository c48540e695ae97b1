// Structured JSON logs, one object per line: Workers Logs and `wrangler tail` index the fields.
type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: Level = "info";

export function setLogLevel(level: string | undefined): void {
  if (level && level in rank) threshold = level as Level;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (rank[level] < rank[threshold]) return;
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
