// schema.graphql (checked in, for clients and code generators) is the schema the Worker serves: the one
// generated from the REST routes' declarations. Fails when a route's contract changed and the file was
// not regenerated (`npm run graphql:schema`).
import { describe, expect, it } from "vitest";
import checkedIn from "../schema.graphql?raw";
import { printedSchema } from "../workers/graphql/printed";

describe("schema.graphql", () => {
  it("is the schema the Worker serves", () => {
    expect(checkedIn).toBe(printedSchema());
  });
});
