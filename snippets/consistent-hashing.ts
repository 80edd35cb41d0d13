// Consistent hashing: add a node and count the keys that move (≈ 1/(N+1), all to the new node).
import { HashRing, ModNHashing, movement, sampleKeys, table } from "sde-lab";

const nodes = ["n1", "n2", "n3", "n4"];
const keys = sampleKeys(/*$1*/100_000, "user-");
const ring = new HashRing({ vnodes: /*$2*/100 }).addNodes(nodes);
const mod = new ModNHashing(nodes);

const viaRing = movement(keys, ring, ring.clone().addNode("n5"));
const viaMod = movement(keys, mod, mod.clone().addNode("n5"));
/*$0*/
table([
  { placement: "hash mod N", "moved %": viaMod.fraction * 100 },
  { placement: "ring", "moved %": viaRing.fraction * 100, "to n5 %": (viaRing.movedTo("n5") / viaRing.moved) * 100 },
]);
