// The schema the Worker serves (queries) and the match rooms execute (subscriptions): generated from the
// REST routes' declarations (contract.ts), each root field resolved by its REST route, called inside this
// isolate with the caller's own credential, so scopes, viewer-token match checks, tenant rules and answers
// are REST's own. The read budget is charged once per operation beforehand (server.ts), not per field.
import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { Context } from "hono";
import type { AppEnv } from "../api/app-env";
import { prepaidRequests } from "../api/rate-limit";
import { buildContractSchema, pathParameters, type RootField } from "./contract";
import { rootFields } from "./fields";
import { subscriptionFields } from "./subscriptions";

/** What every resolver gets: the Hono context of the GraphQL request and how to ask the REST app. */
export interface GraphqlContext {
  hono: Context<AppEnv>;
  rest: (request: Request) => Promise<Response>;
  /** The credential each REST read is sent with: the caller's own. */
  authorization: string;
  /** Rate-limit headers of the charge, copied onto the response. */
  charged: Record<string, string>;
}

/** A REST error body as a GraphQL error: the same code, message and issues, and the REST status. */
async function restError(res: Response): Promise<GraphQLError> {
  const body = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; issues?: unknown };
  } | null;
  const error = body?.error ?? { code: "internal", message: `status ${res.status}` };
  return new GraphQLError(error.message, {
    extensions: { code: error.code, status: res.status, ...(error.issues ? { issues: error.issues } : {}) },
  });
}

/** A root field's resolver: its REST route, called with the field's arguments as path and query parameters. */
function restResolver(field: RootField): GraphQLFieldResolver<unknown, GraphqlContext> {
  const inPath = new Set(pathParameters(field.route.path));
  return async (_source, args: Record<string, unknown>, context) => {
    const path = field.route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(args[name])));
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(args)) {
      if (!inPath.has(name) && value !== undefined && value !== null) query.set(name, String(value));
    }
    const url = new URL(`${path}${query.size > 0 ? `?${query}` : ""}`, context.hono.req.url);
    const request = new Request(url, {
      headers: { authorization: context.authorization, "x-request-id": context.hono.get("requestId") },
    });
    prepaidRequests.add(request);
    const res = await context.rest(request);
    if (res.status === 200) return res.json();
    if (res.status === 404 && field.notFoundIsNull) return null;
    throw await restError(res);
  };
}

let schema: GraphQLSchema | undefined;

/** The schema, built once per isolate from the REST routes' declarations. */
export function graphqlSchema(): GraphQLSchema {
  schema ??= buildContractSchema(
    rootFields,
    restResolver as (f: RootField) => GraphQLFieldResolver<unknown, unknown>,
    subscriptionFields,
  );
  return schema;
}
