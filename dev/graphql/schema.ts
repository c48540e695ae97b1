// `npm run graphql:schema`: writes schema.graphql (the GraphQL schema generated from the REST routes'
// declarations, workers/graphql/contract.ts) at the repository root. `--check` only compares (exit 1 when
// stale). The Worker's modules import `cloudflare:workers` for the Durable Object base class, which Node
// cannot load: a loader hook gives them a stand-in, enough to read the route declarations.
import { readFileSync, writeFileSync } from "node:fs";
import { register } from "node:module";

const stub = "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }";
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("cloudflare:")) return { url: "data:text/javascript,${encodeURIComponent(stub)}", shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const { printedSchema } = await import("../../workers/graphql/printed");
const path = new URL("../../schema.graphql", import.meta.url);
const printed = printedSchema();
if (process.argv.includes("--check")) {
  const current = readFileSync(path, "utf8");
  if (current !== printed) {
    console.error("schema.graphql is stale: run `npm run graphql:schema`");
    process.exit(1);
  }
  console.log("schema.graphql is current");
} else {
  writeFileSync(path, printed);
  console.log(`wrote schema.graphql (${printed.length} bytes)`);
}
