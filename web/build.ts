// Builds the live match page into web/dist, which wrangler serves as static assets (wrangler.toml
// [assets]). `npm start`, `npm test` and `npm run build` call it; `npm run build:page` runs it alone.
// The output is git-ignored: always built from web/src, never stale.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const WEB = fileURLToPath(new URL(".", import.meta.url));
export const PAGE_DIST = join(WEB, "dist");

/** Bundles web/src/main.ts (with the client package and uPlot) and copies the HTML and CSS; ~100 ms. */
export async function buildPage(): Promise<{ dir: string; bytes: number }> {
  // Emptied, not replaced: a running `wrangler dev` keeps watching the same directory.
  mkdirSync(PAGE_DIST, { recursive: true });
  for (const entry of readdirSync(PAGE_DIST)) rmSync(join(PAGE_DIST, entry), { recursive: true, force: true });
  const result = await build({
    entryPoints: [join(WEB, "src/main.ts")],
    outfile: join(PAGE_DIST, "app.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  copyFileSync(join(WEB, "index.html"), join(PAGE_DIST, "index.html"));
  copyFileSync(join(WEB, "style.css"), join(PAGE_DIST, "style.css"));
  copyFileSync(join(WEB, "../node_modules/uplot/dist/uPlot.min.css"), join(PAGE_DIST, "uPlot.min.css"));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { dir: PAGE_DIST, bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, bytes } = await buildPage();
  console.log(`[page] built ${dir} (${(bytes / 1024).toFixed(0)} KB of JS with its source map)`);
}
