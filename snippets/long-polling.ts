// Long polling: each request is held until an event or the timeout; the client asks again at once.
import { LongPollClient, LongPollServer, Simulation, TickFeed, networkDrop, table } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
const feed = new TickFeed(sim, { count: /*$2*/40, intervalMs: 100 });
const server = new LongPollServer(sim, { source: feed, holdMs: /*$3*/30_000 });
sim.network.setLink("app", "api", { latency: 25 });

const ids: number[] = [];
const client = new LongPollClient(sim, { pollDelayMs: /*$4*/0, onEvent: (event) => ids.push(event.id) });
client.start();
networkDrop(sim, "app", "api", { at: 1_050, durationMs: 1_000 });
await sim.runUntil(feed.endsAt + 2_000);
client.stop();
/*$0*/
table([{ published: feed.events.length, received: ids.length, ...client.stats, held: server.stats.woken + server.stats.timedOut }]);
