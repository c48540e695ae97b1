// `npm run reset`: deletes the dev stack's data (.local/, or MATCHPULSE_DATA_DIR as `npm start` uses)
// once nothing runs from it. Refuses while `npm start` is running; stops services a crashed run left.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DEV_DATA_DIR, deleteDataDir, stackOwner, stopLeftoverServices } from "./stack";

const dataDir = resolve(process.env.MATCHPULSE_DATA_DIR ?? DEV_DATA_DIR);
const say = (msg: string) => console.log(`[reset] ${msg}`);

if (!existsSync(dataDir)) {
  say(`nothing to delete: ${dataDir} does not exist`);
  process.exit(0);
}
const owner = stackOwner(dataDir);
if (owner !== null) {
  console.error(`[reset] the dev stack is running from ${dataDir} (pid ${owner}): stop \`npm start\` (Ctrl-C) first`);
  process.exit(1);
}
await stopLeftoverServices(dataDir, say);

deleteDataDir(dataDir);
say(`deleted ${dataDir}`);
