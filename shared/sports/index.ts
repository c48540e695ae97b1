// The sport registry. Adding a sport = one folder exporting a SportModule + one line below.
import { cs2 } from "./cs2";
import { football } from "./football";
import type { SportModule } from "./sport";

// `any`: each module keeps its own state type; callers go through SportModule (sportOf) instead.
export const sports: Record<string, SportModule<any>> = {
  football,
  cs2,
};

export const sportNames: readonly string[] = Object.freeze(Object.keys(sports));

/** Own keys only, so names like "constructor" or "__proto__" never resolve to a sport. */
export function sportOf(name: string): SportModule | undefined {
  return Object.hasOwn(sports, name) ? sports[name] : undefined;
}

export type * from "./sport";
