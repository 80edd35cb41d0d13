// The lab's public entries are curated: every name is used by a notebook cell, a snippet, a
// challenge, a scenario or a catalog entry, or shown in the docs; internals stay in their
// modules (tests import them from there). The exact surface is in api/*.api.md, checked by
// api-report.test.ts.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as lab from "sde-lab";
import * as scenarios from "sde-lab/scenarios";
import * as challenges from "sde-lab/challenges";
import { root, usedNames } from "./public-names";

/** Room for the runtime names of `sde-lab`: a learner's import, not the lab's module map. */
const MAX_RUNTIME_EXPORTS = 150;

describe("the sde-lab public API", () => {
  it(`exports at most ${MAX_RUNTIME_EXPORTS} runtime names`, () => {
    expect(Object.keys(lab).length).toBeLessThanOrEqual(MAX_RUNTIME_EXPORTS);
  });

  for (const [module, exports] of [["sde-lab", lab], ["sde-lab/scenarios", scenarios], ["sde-lab/challenges", challenges]] as const) {
    it(`${module}: every runtime name is used by a notebook, snippet, challenge, scenario or catalog entry, or shown in the docs`, () => {
      const used = usedNames(module);
      expect(used.size, `no use of ${module} found at all`).toBeGreaterThan(0);
      expect(Object.keys(exports).filter((name) => !used.has(name))).toEqual([]);
    });
  }

  it("every type-only name of sde-lab is used, or named by another public declaration", () => {
    const report = readFileSync(join(root, "api/sde-lab.api.md"), "utf8");
    const declared = [...report.matchAll(/^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|enum|namespace) (\w+)/gm)].map((m) => m[1]!);
    const renamed = new Map([...report.matchAll(/^export \{ (\w+) as (\w+) \}/gm)].map((m) => [m[1]!, m[2]!]));
    expect(declared.length).toBeGreaterThan(100);
    const used = usedNames("sde-lab");
    const unused = declared.filter((name) => {
      if (name in lab || used.has(name) || used.has(renamed.get(name) ?? "")) return false;
      const mentions = report.match(new RegExp(`\\b${name}\\b`, "g"))?.length ?? 0;
      return mentions < 2 + (renamed.has(name) ? 1 : 0);
    });
    expect(unused).toEqual([]);
  });

  it("keeps internals out", () => {
    for (const name of ["DISPLAY_SINK", "sha1", "sha256", "murmur2", "murmur3", "readGrpcFrame", "WEBSOCKET_GUID", "LocksTable", "wireOf", "fromBase64", "InstanceCache"]) {
      expect(lab, name).not.toHaveProperty(name);
    }
  });

  it("scenarios import the core only from sde-lab, never from relative lab paths", () => {
    const dir = join(root, "src/lab/scenarios");
    for (const file of readdirSync(dir)) {
      const imports = [...readFileSync(join(dir, file), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
      expect(imports.filter((s) => s !== "sde-lab" && !s.startsWith("./")), file).toEqual([]);
    }
  });
});
