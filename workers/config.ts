// Reading configuration values ([vars] in wrangler.toml arrive as strings). No imports: every layer may
// use it without pulling in the rest.

/** A numeric [var]: its value when it is a finite number, else `fallback`. */
export function numberVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) ? n : fallback;
}
