// The served VS Code is a full IDE with a terminal: anyone who reaches its port can run code
// as this user. code-server offers a password form or no auth, and always turns off VS Code's
// own connection token, so `npm start` puts this small gate in front of it, with the same
// scheme as VS Code's server: a random token in the printed URL (`?tkn=...`), exchanged for
// an HttpOnly, SameSite=Strict cookie on the first request. code-server itself listens on a
// Unix socket in a private (0700) folder, so the gate is the only way in.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, request } from "node:http";
import { connect } from "node:net";

const COOKIE = "sde-lab-tkn";

/** A fresh token: 32 random bytes, hex. */
export function newToken() {
  return randomBytes(32).toString("hex");
}

function sameToken(given, token) {
  if (typeof given !== "string" || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

function cookieToken(req) {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return undefined;
}

const BOOT_PATH = "/_sde-lab/trust-boot.js";
const WORKBENCH_SCRIPT = /<script type="module" src="([^"]*\/out\/vs\/code\/browser\/workbench\/workbench\.js)"><\/script>/;

/**
 * Workspace Trust stays on, and the folder `npm start` opens is trusted up front. The served
 * VS Code keeps its trusted folders in the browser (IndexedDB, the storage shared by all
 * profiles, key `content.trust.model.key`), not on the server, so there is no setting to write: the gate
 * swaps the workbench's module script for this one, which adds the folder to that list and
 * then loads the workbench. Other folders stay untrusted; the list is merged, not replaced.
 */
function trustBootScript(folder) {
  return `// Served by SDE Lab's npm start: trust the notebooks folder, then load the workbench.
const workbench = new URL(import.meta.url).searchParams.get("workbench") ?? "";
const folder = { scheme: "vscode-remote", authority: location.host, path: ${JSON.stringify(folder)} };
const KEY = "content.trust.model.key";
function addTrust(database) {
  return new Promise((done) => {
    const open = indexedDB.open(database);
    open.onupgradeneeded = () => open.result.objectStoreNames.contains("ItemTable") || open.result.createObjectStore("ItemTable");
    open.onerror = () => done();
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("ItemTable")) return db.close(), done();
      const tx = db.transaction("ItemTable", "readwrite");
      const store = tx.objectStore("ItemTable");
      const read = store.get(KEY);
      read.onsuccess = () => {
        let info = {};
        try { info = JSON.parse(read.result ?? "{}") ?? {}; } catch {}
        const list = Array.isArray(info.uriTrustInfo) ? info.uriTrustInfo : [];
        const known = list.some((t) => t.trusted && t.uri && t.uri.authority === folder.authority && t.uri.path === folder.path);
        if (!known) store.put(JSON.stringify({ ...info, uriTrustInfo: [...list, { uri: folder, trusted: true }] }), KEY);
      };
      tx.oncomplete = tx.onerror = tx.onabort = () => (db.close(), done());
    };
  });
}
// VS Code 1.139 keeps the list in the storage shared by all profiles ("global-shared");
// older versions in the application storage ("global").
await addTrust("vscode-web-state-db-global-shared");
await addTrust("vscode-web-state-db-global");
// The page names the workbench relative to itself; only a same-origin script is loaded.
const target = new URL(workbench, location.href);
if (target.origin === location.origin) await import(target.href);
`;
}

const DENIED =
  "This SDE Lab server needs its connection token. Open the URL that `npm start` printed (it ends with ?tkn=...); a new token is made on every start.\n";

/**
 * Listens on `host:port` and forwards authorised HTTP requests and WebSocket upgrades to the
 * server on `socketPath`. Rejects with the listen error (e.g. EADDRINUSE).
 * @param {{ socketPath: string, port: number, host?: string, token: string, trustFolder?: string }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export function startTokenProxy({ socketPath, port, host = "127.0.0.1", token, trustFolder }) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // VS Code adds its own (here empty) `tkn` to resource addresses, so a `tkn` that does not
    // match is not a refusal by itself: either the query or the cookie must carry the token.
    const byQuery = sameToken(url.searchParams.get("tkn"), token);
    if (!byQuery && !sameToken(cookieToken(req), token)) {
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(DENIED);
      return;
    }
    if (byQuery && req.method === "GET" && url.pathname === "/") {
      // Trade the token for a cookie and drop it from the address bar.
      url.searchParams.delete("tkn");
      res
        .writeHead(302, {
          location: `${url.pathname}${url.search}`,
          "set-cookie": `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`,
          "cache-control": "no-store",
        })
        .end();
      return;
    }
    if (trustFolder && url.pathname === BOOT_PATH) {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(trustBootScript(trustFolder));
      return;
    }
    // The workbench page, when a folder is to be trusted: fetched uncompressed, so its module
    // script can be swapped for the boot script above.
    const rewrite = trustFolder !== undefined && req.method === "GET" && url.pathname === "/";
    const headers = { ...req.headers };
    if (rewrite) delete headers["accept-encoding"];
    const upstream = request({ socketPath, path: req.url, method: req.method, headers }, (up) => {
      const html = rewrite && up.statusCode === 200 && /text\/html/.test(String(up.headers["content-type"]));
      if (!html) {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
        return;
      }
      const chunks = [];
      up.on("data", (c) => chunks.push(c));
      up.on("end", () => {
        const page = Buffer.concat(chunks)
          .toString("utf8")
          .replace(WORKBENCH_SCRIPT, (_, src) => `<script type="module" src="${BOOT_PATH}?workbench=${encodeURIComponent(src)}"></script>`);
        const out = { ...up.headers, "content-length": String(Buffer.byteLength(page)) };
        delete out["transfer-encoding"];
        res.writeHead(up.statusCode ?? 200, out).end(page);
      });
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`VS Code is not answering (${error.message}).\n`);
    });
    req.pipe(upstream);
  });
  // Upgraded (WebSocket) connections leave the server's bookkeeping: track them to end them.
  const tunnels = new Set();
  server.on("upgrade", (req, socket, head) => {
    const byQuery = sameToken(new URL(req.url ?? "/", "http://localhost").searchParams.get("tkn"), token);
    if (!byQuery && !sameToken(cookieToken(req), token)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    const upstream = connect(socketPath, () => {
      tunnels.add(socket).add(upstream);
      socket.once("close", () => tunnels.delete(socket));
      upstream.once("close", () => tunnels.delete(upstream));
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return new Promise((resolveProxy, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveProxy({
        port: server.address().port,
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
            for (const s of tunnels) s.destroy();
          }),
      });
    });
  });
}
