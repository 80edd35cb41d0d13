import { describe, expect, it } from "vitest";
import fc from "fast-check";
import protobufjs from "protobufjs";
import {
  EXAMPLE_PROTO,
  ProtoSchema,
  grpcFrame,
  hexBytes,
  websocketAccept,
} from "../../../src/lab/index";
import { ProtoParseError, ProtoSchemaError, readGrpcFrame } from "../../../src/lab/protocols/protobuf";
import { base64, fromBase64, jsonLength, sha1, utf8Length } from "../../../src/lab/protocols/encoding";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("SHA-1, base64 and UTF-8 without Node APIs", () => {
  it("matches the FIPS 180 SHA-1 test vectors", () => {
    expect(hex(sha1(""))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hex(sha1("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    // One million 'a's crosses many blocks and the 64-bit length field.
    expect(hex(sha1("a".repeat(1_000_000)))).toBe("34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  });

  it("computes RFC 6455's Sec-WebSocket-Accept example", () => {
    expect(websocketAccept("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("encodes the RFC 4648 base64 vectors and decodes them back", () => {
    const cases: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, encoded] of cases) {
      const bytes = Uint8Array.from(plain, (c) => c.charCodeAt(0));
      expect(base64(bytes)).toBe(encoded);
      expect(Array.from(fromBase64(encoded)!)).toEqual(Array.from(bytes));
    }
    expect(fromBase64("Zm9v!")).toBeUndefined();
    expect(fromBase64("Zg")).toBeUndefined(); // padding is required in the standard alphabet
  });

  it("agrees with Node's base64 and TextEncoder on any input", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => base64(bytes) === Buffer.from(bytes).toString("base64")));
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => utf8Length(s) === new TextEncoder().encode(s).length));
    expect(jsonLength({ a: "é" })).toBe(10);
    expect(jsonLength(undefined)).toBe(0);
  });
});

describe("Protobuf through protobufjs", () => {
  const proto = ProtoSchema.parse(EXAMPLE_PROTO);
  const User = proto.type("User");

  it("writes the spec's example byte for byte: 12 bytes against 39 of JSON", () => {
    const value = { id: 150, name: "alice", active: true };
    const bytes = User.encode(value);
    // tag 08 = field 1 varint; 150 = 0b1_0010110 → 96 01. tag 12 = field 2 length-delimited, 5 bytes "alice". tag 18 = field 3 varint, 1.
    expect(hexBytes(bytes)).toBe("08 96 01 12 05 61 6c 69 63 65 18 01");
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(JSON.stringify(value).length).toBe(39);
    expect(User.inspect(value).jsonBytes).toBe(39);
    expect(User.decode(bytes)).toEqual(value);
  });

  it("follows the varint, zigzag, packed and default-value rules", () => {
    const p = ProtoSchema.parse(`syntax = "proto3";
      message M { int32 a = 1; sint32 b = 2; repeated int32 c = 4; int64 d = 5; double e = 6; fixed32 f = 7; string g = 16; }`);
    const M = p.type("M");
    expect(hexBytes(M.encode({ a: 300 }))).toBe("08 ac 02");
    // A negative int32 is sign-extended to 64 bits: ten bytes of varint.
    expect(hexBytes(M.encode({ a: -1 }))).toBe("08 ff ff ff ff ff ff ff ff ff 01");
    // sint32 zigzag: -1 → 1, 1 → 2, -64 → 127.
    expect(hexBytes(M.encode({ b: -1 }))).toBe("10 01");
    expect(hexBytes(M.encode({ b: 1 }))).toBe("10 02");
    expect(hexBytes(M.encode({ b: -64 }))).toBe("10 7f");
    // proto3 packs repeated scalars: one length-delimited field (wire type 2) with the varints.
    expect(hexBytes(M.encode({ c: [1, 2, 3] }))).toBe("22 03 01 02 03");
    expect(hexBytes(M.encode({ d: 1 }))).toBe("28 01");
    // double: wire type 1, 8 bytes little-endian. fixed32: wire type 5, 4 bytes.
    expect(hexBytes(M.encode({ e: 1 }))).toBe("31 00 00 00 00 00 00 f0 3f");
    expect(hexBytes(M.encode({ f: 1 }))).toBe("3d 01 00 00 00");
    // Field 16 needs a two-byte tag: (16 << 3) | 2 = 130 → 82 01.
    expect(hexBytes(M.encode({ g: "x" }))).toBe("82 01 01 78");
    // Defaults are not written at all.
    expect(M.encode({ a: 0, b: 0, c: [], g: "" }).length).toBe(0);
    expect(User.encode({ id: 0, name: "", active: false }).length).toBe(0);
  });

  it("writes a field with explicit presence (proto3 optional) even at its default, and leaves an unset one out", () => {
    const R = ProtoSchema.parse(`syntax = "proto3"; message R { int32 plain = 1; optional int32 tracked = 2; }`).type("R");
    expect(hexBytes(R.encode({ plain: 0, tracked: 0 }))).toBe("10 00");
    expect(R.decode(R.encode({ tracked: 0 }))).toEqual({ plain: 0, tracked: 0 });
    expect(R.encode({}).length).toBe(0);
    expect(R.decode(R.encode({}))).not.toHaveProperty("tracked");
  });

  it("gives the same bytes as protobufjs used directly", () => {
    const direct = protobufjs.parse(EXAMPLE_PROTO).root.lookupType("User");
    fc.assert(
      fc.property(fc.record({ id: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), name: fc.string(), active: fc.boolean() }), (v) => {
        return hexBytes(User.encode(v)) === hexBytes(direct.encode(direct.fromObject(v)).finish());
      }),
    );
  });

  it("rejects a value that does not match the type with protobufjs's own message", () => {
    expect(() => User.encode({ id: "x" })).toThrow(ProtoSchemaError);
    expect(() => User.encode({ id: "x" })).toThrow("User: id: integer expected");
    expect(() => User.encode({ name: 5 })).toThrow("name: string expected");
    expect(User.verify({ active: "yes" })).toBe("active: boolean expected");
    expect(User.verify([1])).toBe("object expected");
    expect(() => User.decode(Uint8Array.from([0x12, 0x09, 0x61]))).toThrow(ProtoSchemaError);
    expect(() => ProtoSchema.parse("message { int32 id = 1 }")).toThrow(ProtoParseError);
    expect(() => proto.type("Nope")).toThrow(/no message type "Nope".*User/);
  });

  it("prefixes a gRPC message with a flag and a 4-byte big-endian length: 17 bytes for the example", () => {
    const framed = grpcFrame(User.encode({ id: 150, name: "alice", active: true }));
    expect(framed.length).toBe(17);
    expect(hexBytes(framed.subarray(0, 5))).toBe("00 00 00 00 0c");
    expect(hexBytes(readGrpcFrame(framed).message)).toBe("08 96 01 12 05 61 6c 69 63 65 18 01");
    expect(() => readGrpcFrame(framed.subarray(0, 10))).toThrow(/declares 12 bytes/);
  });
});
