/**
 * Build challenge "vertical-partitioning": `users` and `orders` live on two database nodes,
 * so the order page's join happens in the application. The learner writes it: one query for
 * the users, then their orders in batches of at most 50 ids, retrying what the network loses.
 * Runs on the lab's simulated network, so a failing case has a sequence diagram.
 */
import { ConfigError, Random, Simulation, dist, response, type Request } from "sde-lab";
import { defineBuildChallenge, type CheckCase } from "../build";
import { seededCases, type SeededCase } from "../seeded-cases";
import { expectSolution } from "../challenge";

/** A row of `users` (partition `db-users`). */
export interface UserRow {
  readonly id: number;
  readonly name: string;
  readonly country: string;
}
/** A row of `orders` (partition `db-orders`). */
export interface OrderRow {
  readonly id: number;
  readonly userId: number;
  readonly total: number;
}
/** One line of the order page: an order with its user's name. */
export interface JoinRow {
  readonly orderId: number;
  readonly userId: number;
  readonly name: string;
  readonly total: number;
}

/** Most values one query's `in` list may hold; a longer list is refused (HTTP 400). */
export const MAX_IN_LIST = 50;

/** What the learner's join talks to: one call = one round trip to one partition. */
export interface PartitionClient {
  /** Users whose `field` equals one of `values` (≤ 50). Rejects with a TimeoutError when the request or its answer is lost. */
  users(field: "id" | "country", values: readonly (number | string)[]): Promise<UserRow[]>;
  /** Orders whose `userId` is one of `userIds` (≤ 50). Rejects with a TimeoutError when lost. */
  orders(userIds: readonly number[]): Promise<OrderRow[]>;
}

/** Solution of the vertical-partitioning build challenge. */
export interface JoinSolution {
  /** Every order of every user in `country`, each once, with the user's name (any order). */
  ordersOfCountry(db: PartitionClient, country: string): Promise<JoinRow[]>;
}

interface Query {
  field: string;
  values: (number | string)[];
}

function world(c: CheckCase) {
  const random = new Random(c.seed);
  const users: UserRow[] = Array.from({ length: c.size }, (_, i) => ({ id: i + 1, name: `user-${i + 1}-${random.int(100, 999)}`, country: random.chance(0.4) ? "NO" : random.chance(0.5) ? "DE" : "FR" }));
  const orders: OrderRow[] = Array.from({ length: c.size * 2 }, (_, i) => ({ id: 1000 + i, userId: random.int(1, c.size), total: random.int(5, 500) }));
  return { users, orders };
}

async function runJoin(solution: JoinSolution, c: CheckCase) {
  const sim = new Simulation({ seed: c.seed });
  const { users, orders } = world(c);
  const answered = { "db-users": 0, "db-orders": 0 };
  const table = (name: "db-users" | "db-orders", rows: readonly (UserRow | OrderRow)[]) =>
    sim.service(name, async (req: Request, ctx) => {
      await ctx.work(dist.uniform(1, 2));
      const q = req.body as Query;
      if (!q || !Array.isArray(q.values)) return response(400, { error: "a query needs { field, values: [...] }" });
      if (q.values.length > MAX_IN_LIST) return response(400, { error: `the in-list holds ${q.values.length} values; at most ${MAX_IN_LIST} per query` });
      answered[name]++;
      const want = new Set(q.values);
      return rows.filter((r) => want.has((r as unknown as Record<string, number | string>)[q.field]!));
    });
  table("db-users", users);
  table("db-orders", orders);
  const app = sim.client("app");
  for (const f of c.faults) {
    if (f.kind === "loss") {
      sim.faults.loss("app", f.target!, Number(f.params!.p));
      sim.faults.loss(f.target!, "app", Number(f.params!.p));
    }
    if (f.kind === "latency") sim.faults.latency("app", f.target!, dist.uniform(1, Number(f.params!.maxMs)));
  }
  const ask = async <T>(node: "db-users" | "db-orders", field: string, values: readonly (number | string)[]): Promise<T[]> => {
    if (!Array.isArray(values)) throw new ConfigError("PartitionClient", "values", values, "an array of ids");
    const res = await app.call(node, { method: "POST", path: `/query?${field}`, headers: {}, body: { field, values: [...values] } }, { timeoutMs: 100 });
    if (res.status !== 200) throw new Error(`${node} answered ${res.status}: ${(res.body as { error?: string })?.error ?? ""}`);
    return (res.body as T[]).map((r) => ({ ...r }));
  };
  const db: PartitionClient = {
    users: (field, values) => ask<UserRow>("db-users", field, values),
    orders: (ids) => ask<OrderRow>("db-orders", "userId", ids),
  };
  const got = (await sim.run(() => solution.ordersOfCountry(db, "NO"))) ?? [];
  const names = new Map(users.filter((u) => u.country === "NO").map((u) => [u.id, u.name]));
  const want = orders.filter((o) => names.has(o.userId));
  return { sim, got, want, names, answered, nUsers: names.size };
}

function judge(r: Awaited<ReturnType<typeof runJoin>>, maxRoundTrips: boolean): { ok: boolean; invariant?: string; sim: Simulation } {
  const { sim, got, want, names, answered, nUsers } = r;
  if (!Array.isArray(got)) return { ok: false, sim, invariant: `ordersOfCountry returned ${String(got)}, not an array of rows.` };
  const seen = new Map<number, number>();
  for (const row of got) seen.set(row.orderId, (seen.get(row.orderId) ?? 0) + 1);
  const missing = want.filter((o) => !seen.has(o.id));
  if (missing.length > 0) return { ok: false, sim, invariant: `${missing.length} of the ${want.length} orders of the ${nUsers} users in NO are missing from the page (order ${missing[0]!.id} of user ${missing[0]!.userId}, for one).` };
  const dup = [...seen.entries()].find(([, n]) => n > 1);
  if (dup) return { ok: false, sim, invariant: `order ${dup[0]} appears ${dup[1]} times on the page; each order must appear once.` };
  const wantIds = new Set(want.map((o) => o.id));
  const extra = got.find((row) => !wantIds.has(row.orderId));
  if (extra) return { ok: false, sim, invariant: `order ${extra.orderId} is on the page but its user ${extra.userId} is not in NO.` };
  for (const row of got) {
    const o = want.find((x) => x.id === row.orderId)!;
    if (row.userId !== o.userId || row.total !== o.total || row.name !== names.get(o.userId)) {
      return { ok: false, sim, invariant: `order ${o.id} shows user ${row.userId} "${row.name}" total ${row.total}, but it belongs to user ${o.userId} "${names.get(o.userId)}" with total ${o.total}.` };
    }
  }
  const bound = 1 + Math.ceil(nUsers / MAX_IN_LIST);
  const trips = answered["db-users"] + answered["db-orders"];
  if (maxRoundTrips && trips > bound) return { ok: false, sim, invariant: `the join made ${trips} answered queries for ${nUsers} users; batching ${MAX_IN_LIST} ids per query needs at most ${bound}.` };
  return { ok: true, sim };
}

/** One case, judged (the bench's plain run beside a full check); `maxRoundTrips` as in stage 2. */
export async function runJoinCase(s: JoinSolution, c: CheckCase, maxRoundTrips: boolean) {
  return judge(await runJoin(s, c), maxRoundTrips);
}

export const verticalPartitioningBuild = defineBuildChallenge<JoinSolution>({
  id: "vertical-partitioning",
  title: "Join users and orders across two partitions, in batches",
  statement: [
    "`users` live on `db-users`, `orders` on `db-orders`: the database can no longer join them, so the order page does it in the application. Write `ordersOfCountry(db, country)`: every order of every user in that country, each once, with the user's name. One call of `db.users` or `db.orders` is one round trip; an `in` list holds at most 50 ids.",
    "",
    "```ts",
    "interface PartitionClient {",
    '  users(field: "id" | "country", values: readonly (number | string)[]): Promise<UserRow[]>;',
    "  orders(userIds: readonly number[]): Promise<OrderRow[]>;   // ≤ 50 ids per call",
    "}",
    "interface JoinSolution {",
    "  ordersOfCountry(db: PartitionClient, country: string): Promise<JoinRow[]>; // { orderId, userId, name, total }",
    "}",
    "```",
    "",
    "**The checker attacks** with seeded shops of 30 to 600 users, compares the page with the join the database would have made, counts the queries the partitions answered, and then loses 15 % of the messages to `db-orders` (a lost call rejects with a `TimeoutError` after 100 ms) while its latency varies from 1 to 40 ms, so answers arrive out of order.",
  ].join("\n"),
  validate(s) {
    expectSolution("vertical-partitioning", s, ["ordersOfCountry"]);
  },
  stages: [
    {
      name: "joins",
      goal: "the page holds exactly the orders of the country's users, each once, with the right name and total",
      cases: seededCases(5, 1, () => ({ faults: [], size: 30 })),
      minSize: 5,
      run: async (s, c) => judge(await runJoin(s, c), false),
    },
    {
      name: "batches",
      goal: `at most 1 + ⌈users / ${MAX_IN_LIST}⌉ queries, none with more than ${MAX_IN_LIST} ids`,
      cases: seededCases(20, 1, () => ({ faults: [{ kind: "scale", label: "600 users, about 240 of them in NO" }], size: 600 })),
      minSize: 60,
      run: async (s, c) => judge(await runJoin(s, c), true),
    },
    {
      name: "survives loss and reordering",
      goal: "the page is still complete and has no duplicates when 15 % of the messages to db-orders are lost and answers come out of order",
      cases: seededCases(20, 1, (): SeededCase => ({
        faults: [
          { kind: "loss", label: "lose 15 % of the messages between app and db-orders", target: "db-orders", params: { p: 0.15 } },
          { kind: "latency", label: "db-orders latency 1–40 ms (answers reorder)", target: "db-orders", params: { maxMs: 40 } },
        ],
        size: 300,
      })),
      minSize: 30,
      run: async (s, c) => judge(await runJoin(s, c), false),
    },
  ],
  hints: {
    nudge: "Two partitions means at least two round trips: first find out who the users are, then ask the other partition about exactly those users. Keep what the first answer told you, you will need the names at the end.",
    approach: "Cut the list of user ids into slices that respect the in-list limit and send one orders query per slice; the slices are independent, so they may be in flight together. Index the users by id before you combine the answers.",
    keyIdea: "A lost request and a lost answer look the same to the caller: a timeout. Reading is harmless to repeat, so a slice that timed out is simply asked again, and the page is built only from answers that arrived, each slice's answer used once.",
  },
});
