// REST: a list and its related resources, over-fetching and N+1 round trips, then one
// request with an embed and sparse fieldsets.
import { protocolLab, table } from "sde-lab";

const lab = protocolLab({ seed: /*$1*/1, clientLatencyMs: /*$2*/25 });
const { sim, rest } = lab;

const rows = await sim.run(async () => {
  const out = [];
  // N+1: the list, then one request per post for its author.
  let before = { ...rest.stats };
  const list = await rest.get<{ id: number; authorId: number }[]>("/posts?limit=20");
  await Promise.all(list.body.map((p) => rest.get(`/users/${p.authorId}`)));
  out.push({ approach: "list + 20 authors", requests: rest.stats.requests - before.requests, bodyBytes: rest.stats.bodyBytes - before.bodyBytes });
  // One request: embed the author, keep only the fields the screen shows.
  before = { ...rest.stats };
  await rest.get(/*$3*/"/posts?limit=20&embed=author&fields=id,title,author.name");
  out.push({ approach: "embed + fields", requests: rest.stats.requests - before.requests, bodyBytes: rest.stats.bodyBytes - before.bodyBytes });
  return out;
});
/*$0*/
table(rows);
