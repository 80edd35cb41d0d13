/**
 * Protocol Buffers through the real `protobufjs`: `.proto` text parsed into types whose
 * `encode` writes exactly the bytes any Protobuf implementation writes (proto3: each set
 * field as a varint tag `(number << 3) | wireType`, then its value; default values are not
 * written), plus the 5-byte gRPC message prefix.
 *
 * Before encoding, a value is checked against its type with protobufjs's `verify`, and a
 * mismatch throws {@link ProtoSchemaError} with protobufjs's own message (`id: integer
 * expected`). protobufjs's plain `encode` does not check, and `fromObject` (what
 * `@grpc/proto-loader` uses) converts loosely: `"x"` for an `int32` becomes 0.
 */
import protobuf from "protobufjs";
import { ConfigError } from "../errors";
import { DISPLAY, table, type MimeBundle } from "../display";
import { hexBytes, jsonLength } from "./encoding";

// Plain Uint8Array everywhere, in Node too: the lab does not use Node's Buffer, and the bytes
// are the same either way. This is the lab bundle's own copy of protobufjs.
protobuf.util.Buffer = null as never;
protobuf.configure();

/** A value of a message type, as a plain object (field names in lowerCamelCase). */
export type ProtoValue = Record<string, unknown>;

/** A value does not match its message type. */
export class ProtoSchemaError extends TypeError {
  override name = "ProtoSchemaError";
  constructor(
    /** Full name of the type, e.g. `social.v1.User`. */
    readonly type: string,
    /** protobufjs's `verify` message, e.g. `id: integer expected`. */
    readonly problem: string,
  ) {
    super(`${type}: ${problem} (the value does not match the .proto message type)`);
  }
}

/** The .proto text could not be parsed, or names an unknown type or service. */
export class ProtoParseError extends Error {
  override name = "ProtoParseError";
}

/** One field of a message type. */
export interface ProtoFieldInfo {
  name: string;
  number: number;
  type: string;
  repeated: boolean;
}

/** A message type: encode, decode, verify. */
export class ProtoMessageType {
  private readonly type: protobuf.Type;
  /** @internal Made by {@link ProtoSchema.type}. */
  constructor(type: unknown) {
    this.type = type as protobuf.Type;
  }

  /** Full name, e.g. `social.v1.User`. */
  get fullName(): string {
    return this.type.fullName.replace(/^\./, "");
  }

  /** Its fields, in number order. */
  get fields(): ProtoFieldInfo[] {
    return this.type.fieldsArray.map((f) => ({ name: f.name, number: f.id, type: f.type, repeated: f.repeated })).sort((a, b) => a.number - b.number);
  }

  /** Why `value` does not match this type (protobufjs's message), or null when it does. */
  verify(value: unknown): string | null {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "object expected";
    return this.type.verify(value as ProtoValue);
  }

  /**
   * The Protobuf bytes of `value`.
   * @throws {@link ProtoSchemaError} when `value` does not match the type
   */
  encode(value: ProtoValue): Uint8Array {
    const problem = this.verify(value);
    if (problem) throw new ProtoSchemaError(this.fullName, problem);
    return this.type.encode(this.type.fromObject(value)).finish();
  }

  /**
   * Decodes bytes into a plain object; unset proto3 fields come back as their defaults.
   * @throws {@link ProtoSchemaError} when the bytes are not a valid encoding
   */
  decode(bytes: Uint8Array): ProtoValue {
    try {
      return this.type.toObject(this.type.decode(bytes), { longs: Number, enums: String, defaults: true, arrays: true }) as ProtoValue;
    } catch (error) {
      throw new ProtoSchemaError(this.fullName, `cannot decode ${bytes.length} bytes: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Encodes `value` and shows the bytes next to its compact JSON. */
  inspect(value: ProtoValue): WireComparison {
    return new WireComparison(this.fullName, value, this.encode(value));
  }
}

/** An RPC method of a service. */
export interface ProtoMethodInfo {
  name: string;
  /** `/package.Service/Method`, the HTTP/2 `:path` of a gRPC call. */
  path: string;
  requestType: ProtoMessageType;
  responseType: ProtoMessageType;
  requestStream: boolean;
  responseStream: boolean;
  /** `unary`, `server streaming`, `client streaming` or `bidi streaming`. */
  kind: RpcKind;
}

/** The four kinds of RPC. */
export type RpcKind = "unary" | "server streaming" | "client streaming" | "bidi streaming";

/** A service: its methods by name. */
export interface ProtoServiceInfo {
  fullName: string;
  methods: ReadonlyMap<string, ProtoMethodInfo>;
}

/** A parsed `.proto` file. */
export class ProtoSchema {
  private readonly root: protobuf.Root;
  private constructor(root: unknown) {
    this.root = root as protobuf.Root;
  }

  /**
   * Parses `.proto` text (proto3 or proto2).
   * @throws {@link ProtoParseError} with protobufjs's message and line
   */
  static parse(source: string): ProtoSchema {
    if (typeof source !== "string") throw new ConfigError("ProtoSchema.parse", "source", source, ".proto text");
    try {
      const root = protobuf.parse(source, { keepCase: false }).root;
      root.resolveAll();
      return new ProtoSchema(root);
    } catch (error) {
      throw new ProtoParseError(`the .proto text does not parse: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The message type with this name (`User` or `social.v1.User`). */
  type(name: string): ProtoMessageType {
    const found = this.root.lookup(name);
    if (!(found instanceof protobuf.Type)) throw new ProtoParseError(`no message type ${JSON.stringify(name)} in this .proto (types: ${this.typeNames().join(", ")})`);
    return new ProtoMessageType(found);
  }

  /** The service with this name (`PostService` or `social.v1.PostService`). */
  service(name: string): ProtoServiceInfo {
    const found = this.root.lookup(name);
    if (!(found instanceof protobuf.Service)) throw new ProtoParseError(`no service ${JSON.stringify(name)} in this .proto`);
    const fullName = found.fullName.replace(/^\./, "");
    const methods = new Map<string, ProtoMethodInfo>();
    for (const m of found.methodsArray) {
      m.resolve();
      const requestStream = m.requestStream === true;
      const responseStream = m.responseStream === true;
      methods.set(m.name, {
        name: m.name,
        path: `/${fullName}/${m.name}`,
        requestType: new ProtoMessageType(m.resolvedRequestType!),
        responseType: new ProtoMessageType(m.resolvedResponseType!),
        requestStream,
        responseStream,
        kind: requestStream && responseStream ? "bidi streaming" : requestStream ? "client streaming" : responseStream ? "server streaming" : "unary",
      });
    }
    return { fullName, methods };
  }

  private typeNames(): string[] {
    const names: string[] = [];
    const walk = (ns: protobuf.NamespaceBase) => {
      for (const child of ns.nestedArray) {
        if (child instanceof protobuf.Type) names.push(child.fullName.replace(/^\./, ""));
        if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
      }
    };
    walk(this.root);
    return names;
  }
}

/** The 5-byte prefix gRPC puts before each message: compressed flag, then the length as 4 bytes big-endian. */
export function grpcFrame(message: Uint8Array, compressed = false): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = compressed ? 1 : 0;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** Splits a gRPC-framed message into its flag and Protobuf bytes. */
export function readGrpcFrame(bytes: Uint8Array): { compressed: boolean; message: Uint8Array } {
  if (bytes.length < 5) throw new ProtoSchemaError("gRPC frame", `needs at least 5 bytes, got ${bytes.length}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (bytes.length !== 5 + length) throw new ProtoSchemaError("gRPC frame", `declares ${length} bytes of message but carries ${bytes.length - 5}`);
  return { compressed: bytes[0] === 1, message: bytes.subarray(5) };
}

/** One value as Protobuf bytes and as JSON, side by side. */
export class WireComparison {
  constructor(
    readonly type: string,
    readonly value: ProtoValue,
    /** The Protobuf bytes. */
    readonly bytes: Uint8Array,
  ) {}

  /** Size of the compact JSON text in UTF-8 bytes. */
  get jsonBytes(): number {
    return jsonLength(this.value);
  }

  /** The bytes as spaced hex. */
  get hex(): string {
    return hexBytes(this.bytes);
  }

  [DISPLAY](): MimeBundle {
    const hex = this.bytes.length > 48 ? `${hexBytes(this.bytes.subarray(0, 48))} … (${this.bytes.length - 48} more)` : this.hex;
    return table([
      { encoding: "Protobuf", bytes: this.bytes.length, content: hex },
      { encoding: "JSON", bytes: this.jsonBytes, content: truncate(JSON.stringify(this.value), 140) },
      { encoding: "gRPC message (5-byte prefix + Protobuf)", bytes: this.bytes.length + 5, content: "" },
    ])[DISPLAY]();
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
