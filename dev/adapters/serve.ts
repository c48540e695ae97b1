// Runs one dev adapter as its own process; dev/stack starts one of these per adapter.
//   serve.ts upstash    --port N --data-dir D --redis-port M   (token in MATCHPULSE_UPSTASH_TOKEN)
//   serve.ts neon       --port N --data-dir D
//   serve.ts clickhouse --port N --data-dir D                  (tables in D/clickhouse)
// --data-dir is on every command line so a stale process can be recognised as belonging to a data
// directory; --parent-pid makes the adapter exit when the process that started it is gone.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startClickHouseHttp } from "./clickhouse-http";
import { startNeonWsBridge } from "./neon-ws-bridge";
import { startUpstashRestBridge } from "./upstash-rest-bridge";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string" },
    "data-dir": { type: "string" },
    "redis-port": { type: "string" },
    "parent-pid": { type: "string" },
  },
});
const adapter = positionals[0];
const port = Number(values.port);
const dataDir = values["data-dir"];
if (!adapter || !(port > 0) || !dataDir) {
  console.error(
    "usage: serve.ts <upstash|neon|clickhouse> --port N --data-dir DIR [--redis-port N] [--parent-pid PID]",
  );
  process.exit(2);
}

const running = await (async () => {
  switch (adapter) {
    case "upstash":
      if (!(Number(values["redis-port"]) > 0)) {
        console.error("serve.ts upstash needs --redis-port");
        process.exit(2);
      }
      return startUpstashRestBridge({
        port,
        redisUrl: `redis://127.0.0.1:${Number(values["redis-port"])}`,
        token: process.env.MATCHPULSE_UPSTASH_TOKEN ?? "",
      });
    case "neon":
      return startNeonWsBridge({ port });
    case "clickhouse":
      return startClickHouseHttp({ port, dataDir: join(dataDir, "clickhouse") });
    default:
      console.error(`unknown adapter ${adapter}`);
      process.exit(2);
  }
})();
console.log(`${adapter} adapter listening on ${running.url}`);

let closing = false;
const shutdown = (reason: string) => {
  if (closing) return;
  closing = true;
  console.log(`${adapter} adapter stopping (${reason})`);
  const force = setTimeout(() => process.exit(1), 5_000);
  force.unref();
  running.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

const parentPid = Number(values["parent-pid"]);
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      shutdown(`parent ${parentPid} is gone`);
    }
  }, 1_000).unref();
}
