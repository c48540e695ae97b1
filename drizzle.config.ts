import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./workers/clients/postgres-schema.ts",
  out: "./migrations/postgres",
});
