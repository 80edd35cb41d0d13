import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { type Socket } from "node:net";
import { type Duplex } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script, no declarations
import { newToken, startTokenProxy } from "../../../scripts/token-proxy.mjs";

interface Proxy {
  port: number;
  close: () => Promise<void>;
}
const PAGE = '<html><script type="module" src="/stable-1/static/out/vs/code/browser/workbench/workbench.js"></script></html>';

let upstream: Server;
let proxy: Proxy;
let token: string;
const seen: string[] = [];
const upstreamSockets = new Set<Duplex>();

function get(path: string, headers: Record<string, string> = {}): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: proxy.port, path, headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ res, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeEach(async () => {
  const socketPath = join(mkdtempSync(join(tmpdir(), "sde-proxy-")), "up.sock");
  seen.length = 0;
  upstream = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers["accept-encoding"] ?? "-"}`);
    if (req.url?.startsWith("/?")) res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else res.writeHead(200, { "content-type": "text/plain", "x-up": "1" }).end("from upstream");
  });
  upstream.on("upgrade", (req, socket) => {
    // Stays open, like VS Code's WebSocket.
    upstreamSockets.add(socket);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nx-path: ${req.url}\r\n\r\n`);
  });
  await new Promise<void>((r) => upstream.listen(socketPath, r));
  token = newToken() as string;
  proxy = (await startTokenProxy({ socketPath, port: 0, token, trustFolder: "/home/me/.cache/sde-lab/notebooks" })) as Proxy;
});

afterEach(async () => {
  for (const s of upstreamSockets) s.destroy();
  upstreamSockets.clear();
  await proxy.close();
  await new Promise((r) => upstream.close(r));
});

describe("connection-token gate of npm start", () => {
  it("makes a 64-hex-digit token, different each time", () => {
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(newToken()).not.toBe(token);
  });

  it("refuses requests without the token, or with a wrong one, and forwards nothing", async () => {
    const none = await get("/?folder=/x");
    expect(none.res.statusCode).toBe(403);
    expect(none.body).toMatch(/Open the URL that `npm start` printed/);
    expect((await get(`/?tkn=${"0".repeat(64)}`)).res.statusCode).toBe(403);
    expect((await get("/x", { cookie: "sde-lab-tkn=wrong" })).res.statusCode).toBe(403);
    expect(seen).toEqual([]);
  });

  it("trades the token in the URL for an HttpOnly SameSite=Strict cookie and drops it from the address", async () => {
    const { res } = await get(`/?folder=%2Fx&tkn=${token}`);
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/?folder=%2Fx");
    expect(res.headers["set-cookie"]).toEqual([`sde-lab-tkn=${token}; Path=/; HttpOnly; SameSite=Strict`]);
    const through = await get("/static/a.txt", { cookie: `other=1; sde-lab-tkn=${token}` });
    expect([through.res.statusCode, through.body, through.res.headers["x-up"]]).toEqual([200, "from upstream", "1"]);
    // VS Code appends its own empty `tkn` to resource addresses: the cookie still admits them.
    expect((await get("/vscode-remote-resource?path=%2Fa&tkn=", { cookie: `sde-lab-tkn=${token}` })).res.statusCode).toBe(200);
    expect((await get("/vscode-remote-resource?path=%2Fa&tkn=")).res.statusCode).toBe(403);
  });

  it("serves the workbench page with its script swapped for the trust boot script", async () => {
    const page = await get("/?folder=%2Fx", { cookie: `sde-lab-tkn=${token}`, "accept-encoding": "gzip" });
    expect(seen).toEqual(["/?folder=%2Fx -"]); // fetched uncompressed to rewrite it
    expect(page.body).toBe(
      `<html><script type="module" src="/_sde-lab/trust-boot.js?workbench=${encodeURIComponent("/stable-1/static/out/vs/code/browser/workbench/workbench.js")}"></script></html>`,
    );
    expect(page.res.headers["content-length"]).toBe(String(Buffer.byteLength(page.body)));
    const boot = await get("/_sde-lab/trust-boot.js?workbench=x", { cookie: `sde-lab-tkn=${token}` });
    expect(boot.body).toContain('path: "/home/me/.cache/sde-lab/notebooks"');
    expect(boot.body).toContain("content.trust.model.key");
  });

  it("forwards WebSocket upgrades only with the cookie", async () => {
    const upgrade = (cookie?: string) =>
      new Promise<number>((resolve) => {
        const req = request({ host: "127.0.0.1", port: proxy.port, path: "/ws?x=1", headers: { connection: "upgrade", upgrade: "websocket", ...(cookie ? { cookie } : {}) } });
        req.on("upgrade", (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on("response", (res) => resolve(res.statusCode ?? 0));
        req.on("error", () => resolve(-1));
        req.end();
      });
    expect(await upgrade()).toBe(403);
    expect(await upgrade(`sde-lab-tkn=${token}`)).toBe(101);
  });

  it("closes even while a WebSocket tunnel is open (Ctrl-C must not hang)", async () => {
    const open = await new Promise<Socket>((resolve) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, path: "/ws", headers: { connection: "upgrade", upgrade: "websocket", cookie: `sde-lab-tkn=${token}` } });
      req.on("upgrade", (_res, socket) => resolve(socket));
      req.end();
    });
    const closed = new Promise((r) => open.once("close", r));
    const started = Date.now();
    await proxy.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
