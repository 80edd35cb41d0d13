// Server-Sent Events: a tick feed, a network drop, and the browser-style reconnect with Last-Event-ID.
import { SimEventSource, Simulation, SseServer, TickFeed, networkDrop, table } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
const feed = new TickFeed(sim, { count: /*$2*/40, intervalMs: 100 });
const server = new SseServer(sim, { source: feed, retryMs: /*$3*/1_000 });
sim.network.setLink("app", "api", { latency: 25 });

const es = new SimEventSource(sim);
const ids: string[] = [];
es.addEventListener("tick", (event) => ids.push(event.lastEventId));
networkDrop(sim, "app", "api", { at: 1_050, durationMs: /*$4*/1_000 });
await sim.runUntil(feed.endsAt + 3_000);
es.close();
/*$0*/
table([{ published: feed.events.length, received: ids.length, distinct: new Set(ids).size, ...server.stats, reconnects: es.stats.reconnects }]);
