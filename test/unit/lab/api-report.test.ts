// api/*.api.md is the reviewed public surface of sde-lab, sde-lab/scenarios and
// sde-lab/challenges (API Extractor, from the declarations cells see). A change to the surface
// fails here until `npm run api:update` rewrites the report and the diff is committed.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(__dirname, "../../..");

describe("the API report", () => {
  it("matches the public surface (npm run api:update after a deliberate change)", () => {
    const result = spawnSync(process.execPath, ["scripts/api-report.mjs"], { cwd: root, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
    expect(result.status).toBe(0);
  }, 240_000);
});
