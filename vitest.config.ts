// Two projects: "unit" runs pure domain code and the dev adapters in Node; "workers" runs the Worker,
// its queue and Durable Object inside workerd (Miniflare), against the local stack that `npm test`
// (dev/test.ts) starts and describes through environment variables.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { readSourcesReplayData } from "./test/sources-replay-data";

const stackEnv = (name: string): string => process.env[name] ?? "";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["shared/**/*.test.ts", "dev/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DATABASE_URL: stackEnv("DATABASE_URL"),
                NEON_WS_PROXY: stackEnv("NEON_WS_PROXY"),
                UPSTASH_REDIS_REST_URL: stackEnv("UPSTASH_REDIS_REST_URL"),
                UPSTASH_REDIS_REST_TOKEN: stackEnv("UPSTASH_REDIS_REST_TOKEN"),
                CLICKHOUSE_URL: stackEnv("CLICKHOUSE_URL"),
                CLICKHOUSE_USER: stackEnv("CLICKHOUSE_USER"),
                CLICKHOUSE_PASSWORD: stackEnv("CLICKHOUSE_PASSWORD"),
                CLICKHOUSE_DATABASE: stackEnv("CLICKHOUSE_DATABASE"),
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // Real data for test/sources-replay.test.ts (workerd cannot read ../shared/data itself).
          provide: { sourcesReplay: readSourcesReplayData() },
          include: ["workers/**/*.test.ts", "test/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
