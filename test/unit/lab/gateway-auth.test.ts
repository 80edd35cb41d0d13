import { createHmac, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, request } from "../../../src/lab/index";
import { GatewayAuthenticator, decodeToken, hmacSha256, sha256, signToken, verifyToken } from "../../../src/lab/gateway/index";
import { base64url, fromBase64url, fromUtf8, toHex, utf8 } from "../../../src/lab/gateway/hmac";

describe("SHA-256 and HMAC-SHA-256 in plain TypeScript", () => {
  it("matches the FIPS 180 test vectors", () => {
    expect(toHex(sha256(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(toHex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("matches RFC 4231 and Node's crypto", () => {
    expect(toHex(hmacSha256("Jefe", "what do ya want for nothing?"))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block is hashed first.
    const longKey = new Uint8Array(131).fill(0xaa);
    expect(toHex(hmacSha256(longKey, "Test Using Larger Than Block-Size Key - Hash Key First"))).toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    for (const len of [0, 55, 56, 63, 64, 65, 200]) {
      const msg = "é€😀x".repeat(len);
      expect(toHex(sha256(utf8(msg)))).toBe(createHash("sha256").update(msg, "utf8").digest("hex"));
      expect(toHex(hmacSha256("k".repeat(len), msg))).toBe(createHmac("sha256", "k".repeat(len)).update(msg, "utf8").digest("hex"));
    }
  });

  it("encodes UTF-8 and base64url like Node", () => {
    for (const s of ["", "f", "fo", "foo", "foob", "fooba", "foobar", "é€😀"]) {
      expect(base64url(s)).toBe(Buffer.from(s, "utf8").toString("base64url"));
      expect(fromUtf8(fromBase64url(base64url(s))!)).toBe(s);
    }
    expect(fromBase64url("a+b")).toBeUndefined();
    expect(fromBase64url("abcde")).toBeUndefined();
  });
});

describe("HS256 tokens", () => {
  const secret = "lab-secret";

  it("signs real JWTs that Node's HMAC agrees with", () => {
    const token = signToken({ sub: "alice", scope: "orders:read" }, secret, { nowMs: 5_000, expiresInSec: 60 });
    const [head, payload, sig] = token.split(".");
    expect(JSON.parse(Buffer.from(head!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString())).toEqual({ sub: "alice", scope: "orders:read", iat: 5, exp: 65 });
    expect(sig).toBe(createHmac("sha256", secret).update(`${head}.${payload}`).digest("base64url"));
    expect(decodeToken(token)).toMatchObject({ sub: "alice", exp: 65 });
  });

  it("checks signature, algorithm and expiry on virtual time", () => {
    const token = signToken({ sub: "alice" }, secret, { expiresInSec: 10 });
    expect(verifyToken(token, secret, 9_999)).toEqual({ valid: true, claims: { sub: "alice", iat: 0, exp: 10 } });
    expect(verifyToken(token, secret, 10_000)).toEqual({ valid: false, problem: "expired" });
    expect(verifyToken(token, "other", 0)).toEqual({ valid: false, problem: "bad signature" });
    const [head, , sig] = token.split(".");
    const forged = `${head}.${base64url(JSON.stringify({ sub: "mallory", iat: 0, exp: 10 }))}.${sig}`;
    expect(verifyToken(forged, secret, 0)).toEqual({ valid: false, problem: "bad signature" });
    const none = `${base64url(JSON.stringify({ alg: "none" }))}.${base64url(JSON.stringify({ sub: "mallory" }))}.`;
    expect(verifyToken(none, secret, 0)).toEqual({ valid: false, problem: "unsupported algorithm" });
    expect(verifyToken("not-a-token", secret, 0)).toEqual({ valid: false, problem: "malformed" });
    expect(() => signToken({ sub: "" }, secret)).toThrow("signToken: claims.sub must be a non-empty string, got \"\"");
  });
});

describe("gateway authentication", () => {
  const auth = new GatewayAuthenticator({ apiKeys: { k1: { client: "alice", scopes: ["orders:read"] } }, jwtSecret: "s" });

  it("accepts API keys and bearer tokens, and says why it refuses", () => {
    expect(auth.authenticate(request("GET", "/", { headers: { "X-Api-Key": "k1" } }), 0)).toEqual({
      ok: true,
      identity: { subject: "alice", grants: ["orders:read"], via: "api key" },
    });
    const token = signToken({ sub: "bob", scope: "orders:read orders:write", roles: ["admin"] }, "s", { expiresInSec: 30 });
    expect(auth.authenticate(request("GET", "/", { headers: { Authorization: `Bearer ${token}` } }), 0)).toEqual({
      ok: true,
      identity: { subject: "bob", grants: ["orders:read", "orders:write", "admin"], via: "jwt", expiresAtMs: 30_000 },
    });
    expect(auth.authenticate(request("GET", "/"), 0)).toEqual({ ok: false, reason: "missing credentials" });
    expect(auth.authenticate(request("GET", "/", { headers: { "x-api-key": "nope" } }), 0)).toEqual({ ok: false, reason: "unknown api key" });
    expect(auth.authenticate(request("GET", "/", { headers: { authorization: `Bearer ${token}` } }), 30_000)).toEqual({ ok: false, reason: "invalid token: expired" });
  });

  it("without credentials configured lets callers in as themselves", () => {
    const open = new GatewayAuthenticator();
    expect(open.authenticate({ ...request(), client: "web" }, 0)).toEqual({ ok: true, identity: { subject: "web", grants: [], via: "none" } });
  });

  it("rejects bad settings", () => {
    expect(() => new GatewayAuthenticator({ jwtSecret: "" })).toThrow(ConfigError);
    expect(() => new GatewayAuthenticator({ apiKeys: { k: { client: "" } } })).toThrow('GatewayAuth: apiKeys["k"].client must be a non-empty string, got ""');
  });
});
