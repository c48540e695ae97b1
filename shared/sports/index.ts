// The sport registry. Adding a sport = one folder exporting a SportModule + one line below.
import { cs2 } from "./cs2";
import { football } from "./football";
import type { SportModule } from "./sport";

// Each module keeps its own state type; SportModule's members are methods (bivariant), so they all fit here.
export const sports: Record<string, SportModule> = {
  football,
  cs2,
};

export const sportNames: readonly string[] = Object.freeze(Object.keys(sports));

/** Own keys only, so names like "constructor" or "__proto__" never resolve to a sport. */
export function sportOf(name: string): SportModule | undefined {
  return Object.hasOwn(sports, name) ? sports[name] : undefined;
}

export type * from "./sport";
