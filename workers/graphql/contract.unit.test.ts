import { createRoute, z } from "@hono/zod-openapi";
import { graphql, printType } from "graphql";
import { describe, expect, it } from "vitest";
import { buildContractSchema, type RootField } from "./contract";

const point = z.object({ x: z.number(), label: z.string().optional() }).meta({ id: "Point" });
const body = z.object({
  id: z.string(),
  count: z.int(),
  ratio: z.number().nullable(),
  at: z.union([point, z.null()]),
  points: z.array(point),
  pair: z.tuple([z.number(), z.number()]),
  byType: z.record(z.string(), z.int()),
  state: z.looseObject({ status: z.string() }),
  kind: z.enum(["a", "b"]),
});
const route = createRoute({
  method: "get",
  path: "/v1/things/{thingId}",
  summary: "One thing",
  request: {
    params: z.object({ thingId: z.string() }),
    query: z.object({ limit: z.coerce.number().int().optional(), token: z.string().optional() }),
  },
  responses: {
    200: { description: "ok", content: { "application/json": { schema: body } } },
    404: { description: "none" },
  },
});

describe("buildContractSchema", () => {
  const field: RootField = { name: "thing", route, typeName: "Thing", notFoundIsNull: true };
  const seen: unknown[] = [];
  const schema = buildContractSchema([field], () => (_source, args) => {
    seen.push(args);
    return {
      id: "t",
      count: 2,
      ratio: null,
      at: { x: 1 },
      points: [],
      pair: [1, 2],
      byType: { goal: 1 },
      state: { status: "live", minute: 12 },
      kind: "a",
    };
  });

  it("types a route's answer from its zod schema: nullability, shared components, maps and open objects", () => {
    expect(printType(schema.getType("Thing")!)).toBe(
      [
        "type Thing {",
        "  id: String!",
        "  count: Int!",
        "  ratio: Float",
        "  at: Point",
        "  points: [Point!]!",
        "  pair: [Float!]!",
        "  byType: JSON!",
        "  state: ThingState!",
        "  kind: String!",
        "}",
      ].join("\n"),
    );
    expect(printType(schema.getType("Point")!)).toBe("type Point {\n  x: Float!\n  label: String\n}");
    expect(printType(schema.getType("ThingState")!)).toMatch(/status: String!\n[\s\S]*json: JSON!/);
  });

  it("takes the route's path and query parameters as arguments, credentials left out", async () => {
    const args = schema
      .getQueryType()
      ?.getFields()
      .thing?.args.map((a) => `${a.name}: ${a.type}`);
    expect(args).toEqual(["thingId: String!", "limit: Int"]);
    const result = await graphql({
      schema,
      source: '{ thing(thingId: "t", limit: 3) { count state { status json } } }',
    });
    expect(result).toEqual({
      data: { thing: { count: 2, state: { status: "live", json: { status: "live", minute: 12 } } } },
    });
    expect(seen).toEqual([{ thingId: "t", limit: 3 }]);
  });
});
