import { describe, expect, it } from "vitest";
import { ConfigError, DISPLAY, Simulation, ok } from "../../../src/lab/index";
import { BackendForFrontend, jsonPayloadBytes, shapePayload, type BffScreen } from "../../../src/lab/gateway/index";
import { compareBffs } from "../../../src/lab/scenarios/bff-comparison";

// Full payloads, as the shared services return them.
const USER = { id: 7, name: "Ada Lovelace", email: "ada@example.com", avatar: "/img/ada.png", address: "12 St James's Square, London", phone: "+44 20 7946 0000", preferences: { theme: "dark", language: "en-GB" }, createdAt: "2015-12-10T00:00:00Z" };
const ORDERS = Array.from({ length: 20 }, (_, i) => ({ id: 1000 + i, total: 10 + i, currency: "GBP", status: i % 3 === 0 ? "shipped" : "open", date: `2024-05-${String(i + 1).padStart(2, "0")}`, lines: [{ sku: `SKU-${i}`, qty: 1 }], shippingAddress: "12 St James's Square, London" }));
const RECS = Array.from({ length: 10 }, (_, i) => ({ id: i, title: `Book ${i}`, image: `/img/book-${i}.png`, score: 0.9 - i / 100, reason: "because you bought Book 0" }));

function services() {
  const sim = new Simulation();
  const svc = (name: string, ms: number, body: unknown) =>
    sim.service(name, async (_req, ctx) => {
      await ctx.work(ms);
      return ok(body);
    });
  svc("users", 10, USER);
  svc("orders", 30, ORDERS);
  svc("recs", 20, RECS);
  return sim;
}

const WEB: BffScreen = {
  profile: { upstream: "users", request: "GET /users/7", fields: ["name", "email", "avatar", "address"] },
  orders: { upstream: "orders", request: "GET /orders?user=7", fields: ["id", "total", "status", "date"], limit: 10 },
  recs: { upstream: "recs", request: "GET /recs?user=7", fields: ["id", "title", "image"], optional: true },
};
const MOBILE: BffScreen = {
  profile: { upstream: "users", request: "GET /users/7", fields: ["name", "avatar"] },
  orders: { upstream: "orders", request: "GET /orders?user=7", fields: ["id", "total"], limit: 3 },
};

const bytes = (v: unknown) => JSON.stringify(v).length; // all-ASCII payloads: characters = bytes
const pick = <T extends object>(o: T, keys: (keyof T)[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

describe("shaping", () => {
  it("keeps the listed fields and the first n items", () => {
    expect(shapePayload(ORDERS, { fields: ["id"], limit: 2 })).toEqual([{ id: 1000 }, { id: 1001 }]);
    expect(shapePayload(USER, { fields: ["name", "missing"] })).toEqual({ name: "Ada Lovelace" });
    expect(shapePayload("text", { fields: ["x"] })).toBe("text");
    expect(jsonPayloadBytes({ a: "é" })).toBe(10); // {"a":"é"} is 9 characters, é is 2 bytes
    expect(jsonPayloadBytes(undefined)).toBe(0);
  });
});

describe("backend for frontend", () => {
  it("answers a screen in one call, fanned out and shaped", async () => {
    const sim = services();
    const bff = new BackendForFrontend(sim, { name: "mobile-bff", screens: { home: MOBILE } });
    const phone = sim.client("phone");
    const res = await sim.run(() => phone.call("mobile-bff", `GET ${bff.path("home")}`));
    const expected = {
      data: { profile: { name: "Ada Lovelace", avatar: "/img/ada.png" }, orders: ORDERS.slice(0, 3).map((o) => ({ id: o.id, total: o.total })) },
      errors: [],
      partial: false,
    };
    expect(res.body).toEqual(expected);
    expect(bff.stats).toEqual({ requests: 1, upstreamCalls: 2, upstreamBytes: bytes(USER) + bytes(ORDERS), clientBytes: bytes(expected) });
    expect(sim.now).toBe(1 + 32 + 1); // the slowest part (orders) plus one hop each way
    expect((await sim.run(() => phone.call("mobile-bff", "GET /screens/settings"))).status).toBe(404);
  });

  it("rejects screens that call unknown services", () => {
    const sim = services();
    expect(() => new BackendForFrontend(sim, { name: "x-bff", screens: { home: { a: { upstream: "ghost", request: "GET /" } } } })).toThrow(
      'BackendForFrontend: screens.home.a.upstream must be the name of an existing service node (create services first), got "ghost"',
    );
    expect(() => new BackendForFrontend(sim, { name: "y-bff", screens: {} })).toThrow(ConfigError);
  });
});

describe("BFF versus one general-purpose gateway", () => {
  const webBff = {
    data: {
      profile: pick(USER, ["name", "email", "avatar", "address"]),
      orders: ORDERS.slice(0, 10).map((o) => pick(o, ["id", "total", "status", "date"])),
      recs: RECS.map((r) => pick(r, ["id", "title", "image"])),
    },
    errors: [],
    partial: false,
  };
  const mobileBff = { data: { profile: pick(USER, ["name", "avatar"]), orders: ORDERS.slice(0, 3).map((o) => pick(o, ["id", "total"])) }, errors: [], partial: false };

  it("counts round trips, bytes and latency per client (parallel calls)", async () => {
    const sim = services();
    const cmp = await compareBffs(sim, { clients: { web: WEB, mobile: MOBILE }, clientLatencyMs: { web: 20, mobile: 100 } });
    expect(cmp.rows).toEqual([
      // web BFF: 20 ms to the BFF, the slowest part 32 ms, 20 ms back
      { client: "web", approach: "BFF", roundTrips: 1, bytesToClient: bytes(webBff), latencyMs: 72, serviceCalls: 3 },
      // in parallel, three calls through the gateway take as long as one: same latency, full payloads
      { client: "web", approach: "general gateway", roundTrips: 3, bytesToClient: bytes(USER) + bytes(ORDERS) + bytes(RECS), latencyMs: 72, serviceCalls: 3 },
      { client: "mobile", approach: "BFF", roundTrips: 1, bytesToClient: bytes(mobileBff), latencyMs: 232, serviceCalls: 2 },
      { client: "mobile", approach: "general gateway", roundTrips: 2, bytesToClient: bytes(USER) + bytes(ORDERS), latencyMs: 232, serviceCalls: 2 },
    ]);
    // The actual sizes, for the record.
    expect(cmp.rows.map((r) => r.bytesToClient)).toEqual([1305, 4507, 176, 3445]);
    expect(cmp.gateway.statusCounts).toEqual({ 200: 5 });
    expect(cmp.bffs["mobile"]!.stats.clientBytes).toBe(176);
    expect(cmp.bffs["mobile"]![DISPLAY]()["text/markdown"]).toContain("| mobile-bff | home | 1 | 2 | 3445 | 176 |");
    expect(cmp[DISPLAY]()["text/markdown"]).toContain("| mobile | BFF | 1 | 176 | 232 | 2 |");
  });

  it("sequential calls and a slow link make the general gateway pay per call and per byte", async () => {
    const sim = services();
    // 10 bytes/ms ≈ 80 kbit/s, a poor mobile link.
    const cmp = await compareBffs(sim, { clients: { mobile: MOBILE }, clientLatencyMs: 100, clientBandwidth: 10, clientCalls: "sequential" });
    const bff = cmp.row("mobile", "BFF");
    const gw = cmp.row("mobile", "general gateway");
    expect(bff.latencyMs).toBeCloseTo(232 + 176 / 10, 9);
    // users: 200 + 12 ms + 23.3 ms for 233 bytes, then orders: 200 + 32 ms + 321.2 ms for 3212 bytes.
    expect(gw.latencyMs).toBeCloseTo(212 + bytes(USER) / 10 + 232 + bytes(ORDERS) / 10, 9);
    expect(gw.latencyMs).toBeCloseTo(788.5, 9);
    // The BFF sends 176 bytes instead of 3445 and answers in 249.6 ms instead of 788.5.
    expect(bff.latencyMs).toBeCloseTo(249.6, 9);
    expect(() => cmp.row("tv", "BFF")).toThrow(ConfigError);
  });

  it("rejects bad comparison settings", async () => {
    await expect(compareBffs(services(), { clients: {} })).rejects.toThrow("compareBffs: clients must be at least one client with its screen, got {}");
    await expect(compareBffs(services(), { clients: { web: WEB }, clientLatencyMs: -1 })).rejects.toThrow("compareBffs: clientLatencyMs must be a finite number ≥ 0, got -1");
    await expect(compareBffs(services(), { clients: { web: WEB }, clientBandwidth: { web: 0 } })).rejects.toThrow("compareBffs: clientBandwidth.web must be a finite number > 0, got 0");
  });
});
