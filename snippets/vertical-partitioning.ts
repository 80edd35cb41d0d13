// Vertical partitioning: tables and columns on different databases; joins across them cost a round trip more.
import { display, Simulation, VerticalStore } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const db = new VerticalStore(sim, {
  partitions: { /*$1*/"db-users": ["users"], "db-orders": ["orders"], "db-blobs": ["users.bio"] },
});

const join = await sim.run(async () => {
  for (let u = 1; u <= 20; u++) await db.insert("users", { id: u, name: `user ${u}`, bio: "…" });
  for (let o = 1; o <= 60; o++) await db.insert("orders", { id: o, userId: (o % 20) + 1, total: o });
  /*$0*/
  return db.join("users", "orders", { on: "userId", where: (u) => u.id === /*$2*/7 });
});
display(join);
join.sequence();
