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

const DENIED =
  "This SDE Lab server needs its connection token. Open the URL that `npm start` printed (it ends with ?tkn=...); a new token is made on every start.\n";

/**
 * Listens on `host:port` and forwards authorised HTTP requests and WebSocket upgrades to the
 * server on `socketPath`. Rejects with the listen error (e.g. EADDRINUSE).
 * @param {{ socketPath: string, port: number, host?: string, token: string }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export function startTokenProxy({ socketPath, port, host = "127.0.0.1", token }) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const given = url.searchParams.get("tkn");
    if (given !== null) {
      if (!sameToken(given, token)) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(DENIED);
        return;
      }
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
    if (!sameToken(cookieToken(req), token)) {
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(DENIED);
      return;
    }
    const upstream = request({ socketPath, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
      up.pipe(res);
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`VS Code is not answering (${error.message}).\n`);
    });
    req.pipe(upstream);
  });
  server.on("upgrade", (req, socket, head) => {
    if (!sameToken(cookieToken(req), token)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    const upstream = connect(socketPath, () => {
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
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
