// schema.graphql's text: the generated schema in SDL, with a header saying where it comes from.
import { printSchema } from "graphql";
import { graphqlSchema } from "./schema";

export const SCHEMA_HEADER =
  "# Generated from the REST routes' declarations (workers/graphql/contract.ts): do not edit.\n" +
  "# Regenerate with `npm run graphql:schema`; test/graphql-schema.test.ts fails when this file is stale.\n\n";

export const printedSchema = (): string => `${SCHEMA_HEADER}${printSchema(graphqlSchema())}\n`;
