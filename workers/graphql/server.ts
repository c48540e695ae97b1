// POST/GET /v1/graphql: GraphQL Yoga over the REST read routes. The caller is authenticated here (an API
// key with read or admin scope, or a viewer token), the operation is checked against depth and cost
// limits (graphql-armor) and charged to the key's read budget at one unit per REST read it makes; each
// root field is then answered by its REST route inside this isolate, with the caller's credential, so
// scopes, viewer-token match checks, tenant rules and answers are REST's own. GraphiQL is served locally.
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { JWS } from "../api/access";
import type { AppEnv } from "../api/app-env";
import { requireScope, VIEWER_TOKEN_PARAM, verifiedViewer } from "../api/auth";
import { bearerAuth, errors } from "../api/openapi";
import { rateLimitedError, rateLimitHeaders, takeBudget } from "../api/rate-limit";
import type { Env } from "../env";
import { metrics } from "../observability/metrics";
import { MAX_COST, MAX_DEPTH, MAX_ROOT_FIELDS, rootFieldCount } from "./cost";
import { type GraphqlContext, graphqlSchema } from "./schema";
import { graphqlSocketRoute, mountGraphqlSocket } from "./socket-route";

export const GRAPHQL_PATH = "/v1/graphql";

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

const graphqlBody = z
  .object({
    query: z.string(),
    variables: z.record(z.string(), z.unknown()).nullable().optional(),
    operationName: z.string().nullable().optional(),
  })
  .meta({ id: "GraphqlRequest" });
const graphqlResult = z
  .object({
    data: z.record(z.string(), z.unknown()).nullable().optional(),
    errors: z
      .array(z.object({ message: z.string(), extensions: z.record(z.string(), z.unknown()).optional() }))
      .optional(),
  })
  .meta({ id: "GraphqlResult" });
const graphqlDescription =
  "The schema is `schema.graphql` (generated from these routes: every query field is one REST read, with the same " +
  "credentials, tenant rules and answers; 404 is null). An operation costs one unit of the read budget per REST " +
  "read it makes (429 when spent); depth and cost limits refuse abusive operations (400). A viewer token reads its " +
  "matches' fields only. Locally a browser gets GraphiQL here.";
const graphqlResponses = {
  200: { description: "The GraphQL result", content: { "application/json": { schema: graphqlResult } } },
  ...errors(400, 401, 403, 429, 503),
};

/** Mounts the GraphQL endpoint on the app whose REST routes it reads. */
export function mountGraphql(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: GRAPHQL_PATH,
      tags: ["graphql"],
      summary: "GraphQL queries",
      description: graphqlDescription,
      security: bearerAuth,
      request: { body: { content: { "application/json": { schema: graphqlBody } }, required: true } },
      responses: graphqlResponses,
    }),
  );
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: GRAPHQL_PATH,
      tags: ["graphql"],
      summary: "GraphQL queries (GET: ?query=&variables=&operationName=)",
      description: graphqlDescription,
      security: bearerAuth,
      responses: graphqlResponses,
    }),
  );
  app.openAPIRegistry.registerPath(graphqlSocketRoute);
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
  mountGraphqlSocket(app);
}
