// Range sharding: ordered ranges keep scans on one shard; watch for a hot range.
import { RangeSharding, ShardedStore, Simulation } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
const store = new ShardedStore(sim, {
  strategy: new RangeSharding([
    { shard: "s1", from: 1, to: /*$2*/1000 },
    { shard: "s2", from: 1001, to: 2000 },
    { shard: "s3", from: 2001, to: 3000 },
  ]),
});

await sim.run(async () => {
  for (let id = 1; id <= 3000; id++) await store.put(id, { id, name: `user ${id}` });
  for (let i = 0; i < 1000; i++) await store.get(sim.random.int(/*$3*/2001, 3000)); // new users are busy
  /*$0*/
});
store.stats();
