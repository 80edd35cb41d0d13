// WebSocket: upgrade, full-duplex messages, and a reconnect after a network drop.
import { ReconnectingWebSocket, Simulation, WebSocketServer, networkDrop, table } from "sde-lab";

const sim = new Simulation({ seed: /*$1*/1 });
const server = new WebSocketServer(sim, { heartbeatMs: /*$2*/30_000 });
server.onConnection((socket) => socket.onMessage((text) => socket.send(`echo: ${text}`)));
sim.network.setLink("app", "api", { latency: 25 });

const received: string[] = [];
const ws = new ReconnectingWebSocket(sim, {
  initialDelayMs: /*$3*/1_000,
  onOpen: (socket) => socket.send("hello"),
  onMessage: (data) => received.push(data),
});
let n = 0;
const ticker = sim.every(100, () => server.broadcast(`tick ${++n}`));
networkDrop(sim, "app", "api", { at: 1_000, durationMs: /*$4*/500 });
await sim.runFor(4_000);
ticker.cancel();
ws.close();
/*$0*/
table([{ sent: n, received: received.length, opens: ws.opens, closeCodes: ws.closes.map((c) => c.code).join(", ") }]);
