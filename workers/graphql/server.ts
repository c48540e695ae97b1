// POST/GET /v1/graphql: GraphQL Yoga over the REST read routes. The caller is authenticated here (an API
// key with read or admin scope, or a viewer token), the operation is checked against depth and cost
// limits (graphql-armor) and charged to the key's read budget at one unit per REST read it makes; each
// root field is then answered by its REST route inside this isolate, with the caller's credential, so
// scopes, viewer-token match checks, tenant rules and answers are REST's own. GraphiQL is served locally.
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import type { Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../api/app-env";
import { requireScope, VIEWER_TOKEN_PARAM, verifiedViewer } from "../api/auth";
import { prepaidRequests, rateLimitedError, rateLimitHeaders, takeBudget } from "../api/rate-limit";
import type { Env } from "../env";
import { metrics } from "../observability/metrics";
import { buildContractSchema, pathParameters, type RootField } from "./contract";
import { MAX_COST, MAX_DEPTH, MAX_ROOT_FIELDS, rootFieldCount } from "./cost";
import { rootFields } from "./fields";
import { subscriptionFields } from "./subscriptions";

export const GRAPHQL_PATH = "/v1/graphql";

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

/** Charges the operation to the key's read budget before it runs (viewer tokens spend none, as in REST). */
const chargeReads: Plugin<GraphqlContext> = {
  onExecute: async ({ args, context, setResultAndStopExecution }) => {
    const reads = rootFieldCount(args.document, args.operationName);
    if (reads > MAX_ROOT_FIELDS) {
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`an operation may read at most ${MAX_ROOT_FIELDS} root fields; it has ${reads}`, {
            extensions: { code: "invalid_request", http: { status: 400 } },
          }),
        ],
      });
      return;
    }
    const c = context.hono;
    if (c.get("viewer") || reads === 0) return;
    const decision = await takeBudget(c.env, c.get("client"), "read", reads, c.get("requestId"));
    Object.assign(context.charged, rateLimitHeaders(decision));
    if (!decision.allowed) {
      metrics.rateLimited.inc({ budget: "read" });
      const refused = rateLimitedError(decision, "read", reads);
      setResultAndStopExecution({
        errors: [
          new GraphQLError(refused.message, {
            extensions: { code: refused.code, http: { status: refused.status, headers: refused.headers } },
          }),
        ],
      });
    }
  },
};

/** Local development: the stack's Postgres bridge is set only there (empty in production, wrangler.toml). */
export const isLocal = (env: Env): boolean => Boolean(env.NEON_WS_PROXY);

const yoga = createYoga<GraphqlContext>({
  schema: () => graphqlSchema(),
  graphqlEndpoint: GRAPHQL_PATH,
  landingPage: false,
  graphiql: (_request, context) => isLocal(context.hono.env),
  logging: false,
  plugins: [
    maxDepthPlugin({ n: MAX_DEPTH, ignoreIntrospection: false, exposeLimits: true }),
    costLimitPlugin({ maxCost: MAX_COST, exposeLimits: true }),
    chargeReads,
  ],
});

/** A JWS (three base64url parts) in the Authorization header, or ?access_token=: a viewer token. */
const JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** A viewer token (checked for signature, expiry and issuer here; for its matches by each REST read) or a key. */
const graphqlAccess = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = /^Bearer (.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  const token = bearer !== undefined ? (JWS.test(bearer) ? bearer : undefined) : c.req.query(VIEWER_TOKEN_PARAM);
  if (token === undefined) return requireScope(["read", "admin"])(c, next);
  const grant = await verifiedViewer(c.env, token);
  c.set("client", grant.client);
  c.set("viewer", true);
  return next();
});

/** Mounts the GraphQL endpoint on the app whose REST routes it reads. */
export function mountGraphql(app: Hono<AppEnv>): void {
  const answer = async (c: Context<AppEnv>) => {
    const bearer = c.req.header("authorization");
    const context: GraphqlContext = {
      hono: c,
      rest: async (request) => app.fetch(request, c.env, c.executionCtx),
      authorization: bearer ?? `Bearer ${c.req.query(VIEWER_TOKEN_PARAM)}`,
      charged: {},
    };
    const res = await yoga.fetch(c.req.raw, context);
    const headers = new Headers(res.headers);
    for (const [name, value] of Object.entries(context.charged)) headers.set(name, value);
    return new Response(res.body, { status: res.status, headers });
  };
  // GraphiQL (a browser's GET without credentials) is answered before auth, and only locally.
  app.get(GRAPHQL_PATH, async (c, next) => {
    const wantsPage = c.req.header("accept")?.includes("text/html") && c.req.query("query") === undefined;
    if (wantsPage && isLocal(c.env)) return yoga.fetch(c.req.raw, { hono: c } as GraphqlContext);
    return next();
  });
  app.on(["GET", "POST"], GRAPHQL_PATH, graphqlAccess, answer);
}
