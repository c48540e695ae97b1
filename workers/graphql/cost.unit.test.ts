import { readFileSync } from "node:fs";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { buildSchema, getIntrospectionQuery, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { MAX_DEPTH, rootFieldCount } from "./cost";

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

describe("rootFieldCount", () => {
  it("counts each aliased root field, through fragments, and introspection as free", () => {
    const doc = parse(`
      query Q { a: liveState(matchId: "m") { seq } b: liveState(matchId: "n") { seq } ...F ...F __typename
        ... on Query { teams { nextCursor } } }
      fragment F on Query { metrics(matchId: "m") { goals } }
      query Other { teams { nextCursor } }`);
    expect(rootFieldCount(doc, "Q")).toBe(4);
    expect(rootFieldCount(doc, "Other")).toBe(1);
    expect(rootFieldCount(parse("{ __schema { queryType { name } } }"))).toBe(0);
  });
});

describe("depth limit", () => {
  // graphql-armor throws its rejection from the rule (propagateOnRejection): Yoga answers it as an error.
  const depthErrors = (query: string): string[] => {
    try {
      return validate(schema, parse(query), [maxDepthRule({ n: MAX_DEPTH, ignoreIntrospection: false })]).map(
        (e) => e.message,
      );
    } catch (err) {
      return [String(err)];
    }
  };

  it("lets GraphiQL's introspection query through", () => {
    expect(depthErrors(getIntrospectionQuery())).toEqual([]);
  });

  it("refuses a selection nested deeper than MAX_DEPTH", () => {
    const nested = (n: number): string => (n === 0 ? "name" : `ofType { ${nested(n - 1)} }`);
    const query = (levels: number) => `{ __schema { types { fields { type { ${nested(levels)} } } } } }`;
    const deepestAccepted = Array.from({ length: 40 }, (_, i) => i).filter((n) => depthErrors(query(n)).length === 0);
    expect(deepestAccepted.at(-1)).toBe(MAX_DEPTH - 5);
    expect(depthErrors(query(MAX_DEPTH)).join()).toMatch(/Query depth limit of 21 exceeded/);
  });
});
