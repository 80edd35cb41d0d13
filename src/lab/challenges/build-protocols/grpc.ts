/**
 * Build challenge "grpc": the learner writes the `GetProfile` handler of a gRPC server `front`
 * that calls `users` (`GetUser`, idempotent; `RecordView`, not idempotent). It must pass what is
 * left of its own deadline to every downstream call, never start one once the deadline has
 * passed, answer with the status codes gRPC defines for each outcome (INVALID_ARGUMENT,
 * NOT_FOUND, UNAVAILABLE, DEADLINE_EXCEEDED) and never repeat `RecordView`. The checker runs
 * real `GrpcServer`s and `GrpcClient`s over the simulated HTTP/2 connections and attacks the
 * handler with bad requests, latency spikes, `users` outages, tight budgets and a `RecordView`
 * that records the view and then answers late.
 */
import { ConfigError, GrpcClient, GrpcError, GrpcServer, GrpcStatus, Random, Simulation, type ProtoValue, type ServerCall } from "sde-lab";
import { defineBuildChallenge, type CaseOutcome, type CheckCase, type FaultSpec } from "../build";
import { seededCases } from "../seeded-cases";

/** The services: `front` serves Profiles (your handler), `users` serves Users. */
export const PROFILES_PROTO = `syntax = "proto3";
package profiles.v1;

message GetProfileRequest { int32 user_id = 1; string viewer = 2; }
message Profile { int32 id = 1; string name = 2; int32 views = 3; }
message GetUserRequest { int32 id = 1; }
message User { int32 id = 1; string name = 2; }
message RecordViewRequest { int32 user_id = 1; string viewer = 2; }
message ViewCount { int32 views = 1; }

service Profiles {
  rpc GetProfile(GetProfileRequest) returns (Profile);
}
service Users {
  rpc GetUser(GetUserRequest) returns (User);          // idempotent: a repeat changes nothing
  rpc RecordView(RecordViewRequest) returns (ViewCount); // not idempotent: each call counts a view
}
`;

/** How your handler calls `users`: `GrpcClient.unary`, with the call's options. */
export interface UsersClient {
  unary(method: "GetUser" | "RecordView", request: ProtoValue, options?: { deadlineMs?: number }): Promise<ProtoValue>;
}

/** Your handler of `GetProfile`: return `{ id, name, views }`, or throw a `GrpcError` with the status. */
export interface GrpcProfileBuild {
  getProfile(call: ServerCall, users: UsersClient): Promise<ProtoValue>;
}

/** Users 1–100 exist. */
const USERS = 100;

interface DownCall {
  readonly method: string;
  readonly at: number;
  readonly deadlineMs: number;
  outcome?: number;
}

interface FrontCall {
  readonly request: ProtoValue;
  readonly arrivedAt: number;
  readonly deadline: number;
  readonly calls: DownCall[];
  settledAt?: number;
  code?: number;
  details?: string;
  value?: ProtoValue;
  views?: number;
}

/** Sentence for a code: `5 NOT_FOUND`. */
const named = (code: number | undefined) => (code === undefined ? "nothing" : `${code} ${Object.entries(GrpcStatus).find(([, n]) => n === code)?.[0] ?? "UNKNOWN"}`);

/** One run of the scenario on one case (exported for the bench's baseline, not from the index). */
export async function judge(solution: GrpcProfileBuild, c: CheckCase): Promise<CaseOutcome> {
  const sim = new Simulation({ seed: c.seed, traceLimit: 4_000 });
  const random = new Random(c.seed * 7 + 3);
  sim.network.setLink("app", "front", { latency: 5 });
  sim.network.setLink("front", "users", { latency: 5 });
  const spikes = c.faults.filter((f) => f.kind === "spike");
  const lateViews = c.faults.filter((f) => f.kind === "late-view");
  const views = new Map<number, number>();
  const inWindow = (list: readonly FaultSpec[]) => list.some((f) => sim.now >= (f.at ?? 0) && sim.now < (f.at ?? 0) + Number(f.params?.forMs ?? 300));
  const work = async (call: ServerCall, ms: number) => {
    // Work in 5 ms steps and stop when the call is cancelled, as a careful server does.
    for (let done = 0; done < ms && !call.cancelled; done += 5) await sim.sleep(Math.min(5, ms - done));
  };
  new GrpcServer(sim, {
    name: "users",
    proto: PROFILES_PROTO,
    service: "profiles.v1.Users",
    handlers: {
      GetUser: async (call) => {
        await work(call, inWindow(spikes) ? 600 : random.int(5, 15));
        const id = Number(call.request!.id);
        if (!(id >= 1 && id <= USERS)) throw new GrpcError(GrpcStatus.NOT_FOUND, `no user ${id}`);
        return { id, name: `user ${id}` };
      },
      RecordView: async (call) => {
        const id = Number(call.request!.userId);
        const n = (views.get(id) ?? 0) + 1;
        views.set(id, n);
        // The view is counted at once; a slow answer after that tempts a retry that would count it twice.
        await sim.sleep(inWindow(lateViews) ? 400 : random.int(3, 8));
        return { views: n };
      },
    },
  });
  const toUsers = new GrpcClient(sim, { from: "front", to: "users", proto: PROFILES_PROTO, service: "profiles.v1.Users" });
  const fronts: FrontCall[] = [];
  new GrpcServer(sim, {
    name: "front",
    proto: PROFILES_PROTO,
    service: "profiles.v1.Profiles",
    handlers: {
      GetProfile: async (call) => {
        const record: FrontCall = { request: { ...call.request! }, arrivedAt: sim.now, deadline: call.deadline, calls: [] };
        fronts.push(record);
        const users: UsersClient = {
          async unary(method, request, options = {}) {
            const down: DownCall = { method, at: sim.now, deadlineMs: options.deadlineMs ?? Infinity };
            record.calls.push(down);
            try {
              const res = await toUsers.unary(method, request, options);
              down.outcome = GrpcStatus.OK;
              if (method === "RecordView") record.views = Number(res.views);
              return res;
            } catch (error) {
              down.outcome = error instanceof GrpcError ? error.code : GrpcStatus.UNKNOWN;
              throw error;
            }
          },
        };
        try {
          const value = await solution.getProfile(call, users);
          record.code = GrpcStatus.OK;
          record.value = value;
          return value;
        } catch (error) {
          record.code = error instanceof GrpcError ? error.code : GrpcStatus.UNKNOWN;
          record.details = error instanceof Error ? error.message : String(error);
          throw error;
        } finally {
          record.settledAt = sim.now;
        }
      },
    },
  });
  for (const f of c.faults) {
    if (f.kind === "outage") {
      sim.faults.crash("users", { at: f.at ?? 0 });
      sim.faults.restart("users", { at: (f.at ?? 0) + Number(f.params?.forMs ?? 300) });
    }
    if (f.kind === "slow-link") sim.faults.latency("front", "users", { kind: "uniform", min: 40, max: 120 }, { at: f.at ?? 0 });
  }
  const app = new GrpcClient(sim, { from: "app", to: "front", proto: PROFILES_PROTO, service: "profiles.v1.Profiles" });
  const tight = c.faults.some((f) => f.kind === "tight");
  await sim.run(async () => {
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < c.size; i++) {
      const roll = random.next();
      const request = roll < 0.12 ? { userId: random.chance(0.5) ? 0 : -random.int(1, 9), viewer: "ada" } : roll < 0.2 ? { userId: random.int(1, USERS), viewer: "" } : roll < 0.35 ? { userId: random.int(USERS + 1, 999), viewer: "ada" } : { userId: random.int(1, USERS), viewer: "bob" };
      const deadlineMs = tight ? random.int(8, 40) : random.int(120, 300);
      jobs.push(app.unary("GetProfile", request, { deadlineMs }).catch(() => undefined));
      await sim.sleep(random.int(10, 60));
    }
    await Promise.all(jobs);
    await sim.sleep(1_500); // whatever is left over finishes (or does not)
  });
  for (const f of fronts) {
    const why = verdict(f);
    if (why) return { ok: false, invariant: why, sim, at: f.arrivedAt };
  }
  return { ok: true, sim };
}

/** The one sentence for a front call that broke a rule, or undefined. */
function verdict(f: FrontCall): string | undefined {
  const userId = Number(f.request.userId);
  const what = `GetProfile {user_id: ${userId}, viewer: ${JSON.stringify(f.request.viewer ?? "")}} at ${f.arrivedAt} ms (deadline ${f.deadline} ms)`;
  const bad = !(userId >= 1) || !f.request.viewer;
  if (f.settledAt === undefined) return `${what} never finished: the handler was still waiting 1.5 s after the last request`;
  for (const d of f.calls) {
    const left = f.deadline - d.at;
    if (d.at >= f.deadline) return `${what} started ${d.method} at ${d.at} ms, after its own deadline had passed: work for nobody`;
    if (!(d.deadlineMs <= left + 0.5)) return `${what} called ${d.method} at ${d.at} ms with ${d.deadlineMs === Infinity ? "no deadline" : `a ${d.deadlineMs} ms deadline`} though only ${left} ms were left: pass the remaining budget on (call.deadline − now)`;
  }
  if (f.settledAt > f.deadline + 1) return `${what} was still working at ${f.settledAt} ms, ${f.settledAt - f.deadline} ms past its deadline (the caller had given up)`;
  const recordViews = f.calls.filter((d) => d.method === "RecordView").length;
  if (recordViews > 1) return `${what} called RecordView ${recordViews} times: it is not idempotent (each call counts a view), so a retry after a timeout can count the same view twice`;
  if (bad) {
    if (f.code !== GrpcStatus.INVALID_ARGUMENT) return `${what} should end ${named(GrpcStatus.INVALID_ARGUMENT)} (the request itself is wrong: a user_id ≥ 1 and a viewer are required) but ended ${named(f.code)}`;
    if (f.calls.length > 0) return `${what} is invalid but the handler still called ${f.calls[0]!.method}: refuse it before spending anything downstream`;
    return undefined;
  }
  const last = f.calls.at(-1);
  const pastDeadline = f.settledAt >= f.deadline - 1;
  let want: number[];
  let why: string;
  if (f.calls.some((d) => d.outcome === GrpcStatus.NOT_FOUND)) [want, why] = [[GrpcStatus.NOT_FOUND], "users said the user does not exist"];
  else if (last?.outcome === GrpcStatus.UNAVAILABLE) [want, why] = [pastDeadline ? [GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED] : [GrpcStatus.UNAVAILABLE], "users could not be reached"];
  else if (last?.outcome === GrpcStatus.DEADLINE_EXCEEDED) [want, why] = [[GrpcStatus.DEADLINE_EXCEEDED], `its ${last.method} call ran out of the budget`];
  else if (last === undefined) {
    if (f.deadline - f.arrivedAt > 1) return `${what} never called GetUser though ${f.deadline - f.arrivedAt} ms were left, and ended ${named(f.code)}`;
    [want, why] = [[GrpcStatus.DEADLINE_EXCEEDED], "no budget was left to call users"];
  } else if (last.outcome === GrpcStatus.OK) {
    if (pastDeadline) [want, why] = [[GrpcStatus.OK, GrpcStatus.DEADLINE_EXCEEDED], "the budget ran out after users answered"];
    else [want, why] = [[GrpcStatus.OK], "users answered and time was left"];
  } else [want, why] = [[GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.NOT_FOUND], "users failed"];
  if (!want.includes(f.code!)) return `${what} should end ${want.map(named).join(" or ")} (${why}) but ended ${named(f.code)}${f.details ? ` (${f.details.slice(0, 80)})` : ""}`;
  if (f.code === GrpcStatus.OK) {
    if (!f.calls.some((d) => d.method === "GetUser" && d.outcome === GrpcStatus.OK) || recordViews !== 1) return `${what} answered OK without a successful GetUser and exactly one RecordView`;
    const v = f.value ?? {};
    if (Number(v.id) !== userId || v.name !== `user ${userId}` || Number(v.views) !== f.views) return `${what} answered ${JSON.stringify(v)}, not {id: ${userId}, name: "user ${userId}", views: ${f.views}} from GetUser and RecordView`;
  }
  return undefined;
}

const spike = (at: number, forMs: number): FaultSpec => ({ kind: "spike", label: `GetUser takes 600 ms from ${at} ms for ${forMs} ms`, at, params: { forMs } });
const outage = (at: number, forMs: number): FaultSpec => ({ kind: "outage", label: `users is down from ${at} ms for ${forMs} ms`, at, params: { forMs } });
const slowLink = (at: number): FaultSpec => ({ kind: "slow-link", label: `front → users latency 40–120 ms from ${at} ms`, at });
const lateView = (at: number, forMs: number): FaultSpec => ({ kind: "late-view", label: `RecordView counts the view, then answers after 400 ms, from ${at} ms for ${forMs} ms`, at, params: { forMs } });
const tightBudgets: FaultSpec = { kind: "tight", label: "callers give 8–40 ms (the round trip to front alone is 10 ms)" };

export const grpcBuild = defineBuildChallenge<GrpcProfileBuild>({
  id: "grpc",
  title: "Build a gRPC handler that passes its deadline on and answers with the right status",
  statement: [
    "Write `getProfile(call, users)`, the `GetProfile` handler of the gRPC server `front`. It looks the user up with `GetUser` on `users`, counts the view with `RecordView`, and answers `{ id, name, views }`. Callers on `app` set a deadline on every call.",
    "- **Bad request**: `user_id` below 1 or an empty `viewer`: throw `INVALID_ARGUMENT` (3) before calling anything.",
    "- **Deadline**: `call.deadline` is the virtual time by which the call must end. Give every downstream call at most what is left (`deadlineMs` ≤ `call.deadline − call.sim.now`); never start one once that is 0 or less (end with `DEADLINE_EXCEEDED`, 4).",
    "- **Statuses from downstream**: a user that does not exist is `NOT_FOUND` (5); `users` unreachable is `UNAVAILABLE` (14); a downstream call that ran out of time is `DEADLINE_EXCEEDED` (4). Throw them as `new GrpcError(code, message)`.",
    "- **Retries**: `GetUser` is idempotent and may be retried on `UNAVAILABLE` while time is left. `RecordView` is not (each call counts a view): call it at most once.",
    "```ts\ninterface GrpcProfileBuild {\n  getProfile(call: ServerCall, users: UsersClient): Promise<ProtoValue>;   // { id, name, views }\n}\ninterface UsersClient {\n  unary(method: \"GetUser\" | \"RecordView\", request: ProtoValue, options?: { deadlineMs?: number }): Promise<ProtoValue>;\n}\n```",
    "```proto\n" + PROFILES_PROTO.split("\n").slice(3).join("\n").trim() + "\n```",
    "The checker sends valid, unknown and malformed requests, then spikes GetUser's latency past the budget, takes `users` down, slows the link, gives callers budgets smaller than a round trip and makes `RecordView` answer late after counting. It judges every call: the budget passed down, nothing started or still running after the deadline, the status code, and `RecordView` at most once.",
  ].join("\n\n"),
  validate(solution) {
    if (typeof solution?.getProfile !== "function") throw new ConfigError(`challenges["grpc"].check`, "getProfile", solution?.getProfile, "a function (call, users) => Promise<{ id, name, views }>");
  },
  stages: [
    {
      name: "works",
      goal: "valid, unknown and malformed requests get OK, NOT_FOUND and INVALID_ARGUMENT; every downstream call carries the remaining budget",
      cases: seededCases(6, 1, () => ({ faults: [], size: 12 })),
      minSize: 1,
      run: judge,
    },
    {
      name: "survives faults",
      goal: "latency spikes and outages of users: DEADLINE_EXCEEDED or UNAVAILABLE, never past the deadline",
      cases: seededCases(20, 100, (i) => {
        const faults = [spike(50 + 20 * i, 250), outage(300 + 15 * i, 200 + 10 * (i % 5)), slowLink(150 + 25 * i)].filter((_, j) => (i >> j) % 2 === 1 || j === i % 3);
        return { faults, size: 12 };
      }),
      minSize: 1,
      run: judge,
    },
    {
      name: "holds the edges",
      goal: "budgets smaller than a round trip, and a RecordView that counts then answers late: no call after the deadline, no second RecordView",
      cases: seededCases(20, 500, (i) => ({ faults: i % 2 === 0 ? [lateView(0, 2_000), tightBudgets] : [lateView(40 * (i % 5), 400)], size: 12 })),
      minSize: 1,
      run: judge,
    },
  ],
  hints: {
    nudge: "Run the check with the starter and read the sentence: it names the request, the time it arrived, its deadline, and what the handler did with it. `call.deadline` is an absolute virtual time; the client's `deadlineMs` is relative to the moment you call.",
    approach: "Decide in order: is the request valid; how much time is left; call GetUser with that much; turn each failure into the status the gRPC documentation gives for it; then RecordView once with whatever time is left by then. A retry of GetUser is a loop that re-reads the time left before each attempt and stops when it is gone.",
    keyIdea: "A deadline is a budget that shrinks as time passes and must shrink along the chain: recompute what is left just before each call and hand exactly that on. A call whose effect may already have happened when it timed out (RecordView) cannot be repeated safely; a call that only reads (GetUser) can.",
  },
});
