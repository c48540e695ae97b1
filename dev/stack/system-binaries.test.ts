import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findOrInstallChromium } from "./system-binaries";

describe("findOrInstallChromium", () => {
  it("fails with the apt-get command when Chromium is missing and we may not install it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "matchpulse-chromium-"));
    const missing = join(dir, "no-chromium-here");
    try {
      await expect(findOrInstallChromium(dir, () => {}, { at: missing, asRoot: false })).rejects.toThrow(
        `chromium is not installed (looked for ${missing}); the browser test needs it. Install with: sudo sh -c 'apt-get update && apt-get install -y chromium'`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("returns a Chromium that is there", async () => {
    expect(await findOrInstallChromium(tmpdir(), () => {}, { at: process.execPath, asRoot: false })).toBe(
      process.execPath,
    );
  });
});
