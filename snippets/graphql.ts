// GraphQL: one query for the whole screen; N+1 database queries until DataLoader batches them.
import { GraphQLClient, GraphQLServer, Simulation, SocialDb, table } from "sde-lab";

const rows = [];
for (const dataLoader of [false, true]) {
  const sim = new Simulation({ seed: /*$1*/1 });
  new SocialDb(sim, { queryMs: /*$2*/2 });
  const server = new GraphQLServer(sim, { dataLoader });
  sim.network.setLink("app", "api", { latency: 25 });
  const client = new GraphQLClient(sim);
  const res = await sim.run(() => client.query(/*$3*/"{ posts(first: 20) { id title author { name } } }"));
  rows.push({
    dataLoader,
    roundTrips: client.stats.requests,
    responseBytes: client.stats.bodyBytes,
    dbQueries: server.stats.lastRequestDbQueries,
    errors: res.errors?.length ?? 0,
  });
}
/*$0*/
table(rows);
