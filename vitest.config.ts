// Four projects. "unit": pure tests in Node, no services (`npm run test:unit` runs only these, in
// seconds): every `*.unit.test.ts`, plus the folders of pure code listed below. "adapters": Node tests
// that need the local services (the dev adapters against their real servers, migrations). "workers": the
// Worker, its queues and Durable Object inside workerd (Miniflare), against the local stack that
// `npm test` (dev/test.ts) starts and describes through environment variables. "browser": the live match
// page in Chromium against `wrangler dev` (test/browser).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { readSourcesReplayData } from "./test/sources-replay-data";

const stackEnv = (name: string): string => process.env[name] ?? "";

/** Pure tests not (yet) named *.unit.test.ts: contract, sports, pure room and ingest helpers, tools' logic. */
const pureTests = [
  "**/*.unit.test.ts",
  "shared/**/*.test.ts",
  "workers/match-room/sequencer.test.ts",
  "workers/ingest/pack.test.ts",
  "dev/simulator/**/*.test.ts",
  "dev/train/**/*.test.ts",
  "dev/stack/**/*.test.ts",
  "dev/predict.test.ts",
];
const serviceTests = ["dev/adapters/**/*.test.ts", "dev/migrate.test.ts", "dev/migrate-*.test.ts"];

const relayTests = ["test/relays.test.ts", "test/graphql-relays.test.ts"];

function workersProject(name: string, vars: Record<string, string>, include: string[], exclude: string[]) {
  return {
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
            API_KEY_PEPPER: stackEnv("API_KEY_PEPPER"),
            VIEWER_TOKEN_KEYS: stackEnv("VIEWER_TOKEN_KEYS"),
            ...vars,
          },
        },
      }),
    ],
    test: {
      name,
      // Real data for test/sources-replay.test.ts (workerd cannot read ../shared/data itself).
      ...(name === "workers" ? { provide: { sourcesReplay: readSourcesReplayData() } } : {}),
      include,
      exclude: ["**/node_modules/**", ...pureTests, ...exclude],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: pureTests,
          exclude: ["**/node_modules/**", ...serviceTests],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "adapters",
          environment: "node",
          include: serviceTests,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      workersProject(
        "workers",
        {},
        ["workers/**/*.test.ts", "test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
        [...relayTests, "test/browser/**"],
      ),
      // The same Worker with relays promoted at a handful of sockets, so a test can spread a match over several.
      workersProject("relays", { RELAY_THRESHOLD: "3", RELAY_SOCKETS: "2", RELAY_MAX: "4" }, relayTests, []),
      {
        // The live match page in Debian's Chromium (playwright-core), in Node: workerd cannot launch a
        // browser. The test starts its own `wrangler dev` against the stack `npm test` started.
        test: {
          name: "browser",
          environment: "node",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
