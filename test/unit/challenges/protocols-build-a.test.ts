// Build challenges of the protocols section (REST, GraphQL, gRPC): the reference passes every
// stage on every case within 3 s; the notebook's starter fails stage 1 with a useful first
// failure; known-wrong answers fail at the stage that targets their mistake.
import { describe, expect, it } from "vitest";
import type { HttpRequest, HttpResponse } from "sde-lab";
import { challenges } from "sde-lab/challenges";
import type { NoteFields, NoteStore, RestResourceBuild } from "../../../src/lab/challenges/build-protocols/rest";

const timed = async <T>(f: () => Promise<T>) => {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
};

// ---- rest ----------------------------------------------------------------------------------

interface RestOptions {
  /** Check-then-act: compare the ETag, then write whatever the version is by then. */
  lastWriteWins?: boolean;
  /** Never answer 304. */
  ignoreIfNoneMatch?: boolean;
  /** Weak ETags (W/"…"), as Express sends by default. */
  weakEtags?: boolean;
  /** 422 for a body that is not JSON (instead of 400). */
  malformedIs422?: boolean;
  /** Plain string equality for If-None-Match (a W/ tag or a list never matches). */
  exactInm?: boolean;
  /** No content-type check (415 never sent). */
  ignoreContentType?: boolean;
}
function restResource(o: RestOptions = {}): RestResourceBuild {
  return {
    handler(store: NoteStore) {
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) });
      const tagOf = (version: number) => (o.weakEtags ? `W/"v${version}"` : `"v${version}"`);
      const strip = (t: string) => t.trim().replace(/^W\//, "");
      const fields = (req: HttpRequest): NoteFields | HttpResponse => {
        if (!o.ignoreContentType && !/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return json(415, { error: "send application/json" });
        let input: unknown;
        try {
          input = JSON.parse(req.body ?? "");
        } catch {
          return json(o.malformedIs422 ? 422 : 400, { error: "not JSON" });
        }
        const v = input as Record<string, unknown>;
        if (typeof v !== "object" || v === null || Array.isArray(v)) return json(422, { error: "an object, please" });
        if (typeof v.text !== "string" || v.text.length < 1 || v.text.length > 280) return json(422, { error: "text" });
        if (v.pinned !== undefined && typeof v.pinned !== "boolean") return json(422, { error: "pinned" });
        return { text: v.text, pinned: v.pinned === true };
      };
      return async (req) => {
        if (req.path === "/notes") {
          if (req.method !== "POST") return json(405, { error: "no" }, { allow: "POST" });
          const f = fields(req);
          if ("status" in f) return f;
          const note = await store.create(f);
          return json(201, { id: note.id, text: note.text, pinned: note.pinned }, { location: `/notes/${note.id}`, etag: tagOf(note.version) });
        }
        const m = /^\/notes\/(\d+)$/.exec(req.path);
        if (!m) return json(404, { error: "no route" });
        const id = Number(m[1]);
        if (req.method !== "GET" && req.method !== "PUT") return json(405, { error: "no" }, { allow: "GET, PUT" });
        const note = await store.get(id);
        if (!note) return json(404, { error: "no note" });
        if (req.method === "GET") {
          const etag = tagOf(note.version);
          const inm = req.headers["if-none-match"];
          const match = inm !== undefined && !o.ignoreIfNoneMatch && (o.exactInm ? inm === etag : inm.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag)));
          if (match) return { status: 304, headers: { etag } };
          return json(200, { id: note.id, text: note.text, pinned: note.pinned }, { etag });
        }
        const ifMatch = req.headers["if-match"];
        if (ifMatch === undefined) return json(428, { error: "send If-Match" });
        const version = ifMatch.split(",").map((t) => /^"v(\d+)"$/.exec(t.trim())).find((x) => x)?.[1];
        if (version === undefined || Number(version) !== note.version) return json(412, { error: "stale" });
        const f = fields(req);
        if ("status" in f) return f;
        const written = o.lastWriteWins ? await store.put(id, f) : await store.replaceIf(id, f, Number(version));
        if (!written) return json(412, { error: "changed meanwhile" });
        return json(200, { id, text: written.text, pinned: written.pinned }, { etag: tagOf(written.version) });
      };
    },
  };
}

describe("rest build challenge", () => {
  const c = challenges.rest;

  it("passes the reference on every stage and case, within 3 s", async () => {
    const { value: report, ms } = await timed(() => c.check(restResource()));
    expect(report.headline, String(report.failedStage?.failure?.invariant)).toMatch(/^Challenge rest: PASSED \(3 of 3 stages, \d+ cases\)$/);
    expect(ms).toBeLessThan(3_000);
  });
});
