// The GraphQL schema generated from the REST contract: each root field is one REST read route, its type
// is the route's declared 200 response (zod, through JSON Schema) and its arguments are the route's path
// and query parameters. Nothing here is written twice, so the two APIs cannot drift apart; schema.graphql
// at the repository root is this schema printed (test/graphql-schema.test.ts fails when it is stale).
// Pure: no I/O. The caller supplies how a root field is resolved.
import { z } from "@hono/zod-openapi";
import {
  type GraphQLArgumentConfig,
  GraphQLBoolean,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  GraphQLFloat,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
} from "graphql";

/** A route as @hono/zod-openapi declares it: what the schema generation reads of it. */
export interface RestRoute {
  method: string;
  path: string;
  description?: string;
  summary?: string;
  request?: { params?: unknown; query?: unknown };
  responses: Record<string | number, unknown>;
}

/** One root field: a REST read route, named for GraphQL, with the type name of its answer. */
export interface RootField {
  name: string;
  route: RestRoute;
  /** The GraphQL type of the 200 body when its zod schema carries no `.meta({ id })`. */
  typeName: string;
  /** The route answers 404 for a resource that does not exist (or is not the caller's): the field is then null. */
  notFoundIsNull: boolean;
}

/** Sport-specific or keyed data (a live state's sport fields, counts by event type) travels as JSON. */
export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value: keyed maps and sport-specific objects, exactly as the REST API answers them.",
  serialize: (value) => value,
  parseValue: (value) => value,
});

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  description?: string;
  $defs?: Record<string, JsonSchema>;
};

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The JSON Schema of a route's 200 response body (zod). */
export function responseSchemaOf(route: RestRoute): z.ZodType {
  const ok = route.responses[200] as { content?: Record<string, { schema?: z.ZodType }> } | undefined;
  const schema = ok?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`${route.method} ${route.path} declares no JSON 200 response`);
  return schema;
}

/** The route's path and query parameters as one zod object (credentials left out: they travel as headers). */
export function argumentsSchemaOf(route: RestRoute): z.ZodObject {
  const params = (route.request?.params as z.ZodObject | undefined)?.shape ?? {};
  const query = { ...((route.request?.query as z.ZodObject | undefined)?.shape ?? {}) };
  delete query.token;
  delete query.access_token;
  return z.object({ ...params, ...query });
}

/** The path parameters' names of a route ("/v1/matches/{matchId}" → ["matchId"]). */
export const pathParameters = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

class TypeBuilder {
  private readonly named = new Map<string, GraphQLOutputType>();

  constructor(private readonly defs: Record<string, JsonSchema>) {}

  /** The GraphQL type of a schema node, nullable as the node says. */
  output(node: JsonSchema, name: string): GraphQLOutputType {
    const { base, nullable } = this.unwrap(node);
    const type = this.base(base, name);
    return nullable ? type : new GraphQLNonNull(type);
  }

  private unwrap(node: JsonSchema): { base: JsonSchema; nullable: boolean } {
    if (node.anyOf) {
      const present = node.anyOf.filter((m) => m.type !== "null");
      const nullable = present.length < node.anyOf.length;
      if (present.length === 1 && present[0]) {
        const inner = this.unwrap(present[0]);
        return { base: { description: node.description, ...inner.base }, nullable: nullable || inner.nullable };
      }
      return { base: {}, nullable };
    }
    if (Array.isArray(node.type)) {
      const present = node.type.filter((t) => t !== "null");
      return {
        base: { ...node, type: present.length === 1 ? present[0] : undefined },
        nullable: present.length < node.type.length,
      };
    }
    return { base: node, nullable: false };
  }

  private base(node: JsonSchema, name: string): GraphQLOutputType {
    if (node.$ref) {
      const defName = node.$ref.replace("#/$defs/", "");
      const def = this.defs[defName];
      if (!def) throw new Error(`unresolved ${node.$ref}`);
      return this.object(def, defName);
    }
    switch (node.type) {
      case "string":
        return GraphQLString;
      case "integer":
        return GraphQLInt;
      case "number":
        return GraphQLFloat;
      case "boolean":
        return GraphQLBoolean;
      case "array": {
        const tuple = node.prefixItems;
        if (tuple && tuple.length > 0 && tuple.every((t) => t.type === tuple[0]?.type)) {
          return new GraphQLList(this.output(tuple[0] as JsonSchema, name));
        }
        return node.items ? new GraphQLList(this.output(node.items, name)) : JSONScalar;
      }
      case "object":
        return node.properties && Object.keys(node.properties).length > 0 ? this.object(node, name) : JSONScalar;
      default:
        return JSONScalar;
    }
  }

  private object(node: JsonSchema, name: string): GraphQLOutputType {
    const existing = this.named.get(name);
    if (existing) return existing;
    if (!NAME.test(name)) throw new Error(`'${name}' is not a GraphQL name`);
    if (!node.properties) return JSONScalar;
    const properties = node.properties;
    const required = new Set(node.required ?? []);
    // An object open to more fields (a sport's state) keeps them reachable as a whole.
    const open = typeof node.additionalProperties === "object";
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      description: node.description,
      fields: () => {
        const fields: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
        for (const [field, schema] of Object.entries(properties)) {
          if (!NAME.test(field)) throw new Error(`${name}.${field} is not a GraphQL name`);
          const t = this.output(schema, `${name}${pascal(field)}`);
          fields[field] = {
            type: required.has(field) ? t : (unwrapNonNull(t) as GraphQLOutputType),
            description: schema.description,
          };
        }
        if (open) {
          fields.json = {
            type: new GraphQLNonNull(JSONScalar),
            description: "The whole object as the REST API answers it, with the fields not listed here.",
            resolve: (source) => source,
          };
        }
        return fields;
      },
    });
    this.named.set(name, type);
    return type;
  }
}

const unwrapNonNull = (t: GraphQLOutputType) => (t instanceof GraphQLNonNull ? t.ofType : t);

function inputType(node: JsonSchema): GraphQLInputType {
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== "null") : node.type;
  if (type === "integer") return GraphQLInt;
  if (type === "number") return GraphQLFloat;
  if (type === "boolean") return GraphQLBoolean;
  return GraphQLString;
}

function argumentsOf(route: RestRoute): Record<string, GraphQLArgumentConfig> {
  const json = z.toJSONSchema(argumentsSchemaOf(route), { io: "input", unrepresentable: "any" }) as JsonSchema;
  const inPath = new Set(pathParameters(route.path));
  const args: Record<string, GraphQLArgumentConfig> = {};
  for (const [name, schema] of Object.entries(json.properties ?? {})) {
    const type = inputType(schema);
    args[name] = {
      type: inPath.has(name) ? new GraphQLNonNull(type) : type,
      description: schema.description,
    };
  }
  return args;
}

/** A subscription field: its payload's zod schema, with matchId as its one argument. */
export interface SubscriptionField {
  name: string;
  payload: z.ZodType;
  typeName: string;
  description: string;
}

/**
 * The schema of these root fields, each resolved by `resolve` (given the field's route), and of the
 * subscriptions (resolved by the match room, which executes them itself).
 */
export function buildContractSchema(
  fields: readonly RootField[],
  resolve: (field: RootField) => GraphQLFieldResolver<unknown, unknown>,
  subscriptions: readonly SubscriptionField[] = [],
): GraphQLSchema {
  // One JSON Schema document for every answer, so a shared component ($defs) becomes one GraphQL type.
  const bodies = z.object({
    ...Object.fromEntries(fields.map((f) => [f.name, responseSchemaOf(f.route)])),
    ...Object.fromEntries(subscriptions.map((f) => [`subscription:${f.name}`, f.payload])),
  });
  const document = z.toJSONSchema(bodies, { io: "output", unrepresentable: "any" }) as JsonSchema;
  const types = new TypeBuilder(document.$defs ?? {});
  const query = new GraphQLObjectType({
    name: "Query",
    description: "Every field is one REST read (same auth, tenant rules and answers); a missing resource is null.",
    fields: Object.fromEntries(
      fields.map((f) => {
        const type = types.output(document.properties?.[f.name] ?? {}, f.typeName);
        return [
          f.name,
          {
            // Nullable, as GraphQL advises for root fields: one field's error leaves the others' data.
            type: unwrapNonNull(type),
            description: `${f.route.summary ?? ""} (REST: ${f.route.method.toUpperCase()} ${f.route.path})`.trim(),
            args: argumentsOf(f.route),
            resolve: resolve(f),
          } satisfies GraphQLFieldConfig<unknown, unknown>,
        ];
      }),
    ),
  });
  const subscription =
    subscriptions.length === 0
      ? undefined
      : new GraphQLObjectType({
          name: "Subscription",
          description: "Over graphql-ws (subprotocol graphql-transport-ws) at /v1/matches/{matchId}/graphql.",
          fields: Object.fromEntries(
            subscriptions.map((f) => [
              f.name,
              {
                type: types.output(document.properties?.[`subscription:${f.name}`] ?? {}, f.typeName),
                description: f.description,
                args: {
                  matchId: { type: new GraphQLNonNull(GraphQLString), description: "The socket's match." },
                  since: {
                    type: GraphQLInt,
                    description:
                      "The last seq received: the first payload is then what was missed (as ?since= on /live).",
                  },
                },
                // The room executes the selection on each frame against subscriptionRoot(frame).
                resolve: (root: unknown) => (root as Record<string, unknown>)[f.name],
              } satisfies GraphQLFieldConfig<unknown, unknown>,
            ]),
          ),
        });
  return new GraphQLSchema({ query, subscription, types: [JSONScalar] });
}
