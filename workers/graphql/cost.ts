// What a GraphQL operation costs against the client's read budget: one unit per root field that reads a
// REST resource (each is one REST request's worth of work), counted through fragments and aliases, so
// `a: match(…) b: match(…)` costs 2. Introspection (`__schema`, `__type`, `__typename`) is free. Pure.
import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from "graphql";

/**
 * Depth and complexity limits (graphql-armor), checked before anything runs, introspection included. The
 * deepest legitimate operation is GraphiQL's introspection query (21 levels as graphql-armor counts
 * fragments); the schema's own types nest at most 5 (no type refers back to another).
 */
export const MAX_DEPTH = 21;
/** graphql-armor's cost (objects 2, scalars 1, times 1.5 per level): a full match query is about 80. */
export const MAX_COST = 1_000;
/** At most this many REST reads in one operation: more is refused before any budget is spent. */
export const MAX_ROOT_FIELDS = 20;

export function rootFieldCount(document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seen = new Set<string>();
  const count = (set: SelectionSetNode): number => {
    let n = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) n += s.name.value.startsWith("__") ? 0 : 1;
      else if (s.kind === Kind.INLINE_FRAGMENT) n += count(s.selectionSet);
      else {
        const fragment = fragments.get(s.name.value);
        // A fragment spread twice at the root still runs its fields once (GraphQL merges them).
        if (fragment && !seen.has(s.name.value)) {
          seen.add(s.name.value);
          n += count(fragment.selectionSet);
        }
      }
    }
    return n;
  };
  return count(operation.selectionSet);
}
