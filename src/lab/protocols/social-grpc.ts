/**
 * The example domain as a gRPC service: its `.proto`, and a server whose handlers read
 * through the database node. One method of each RPC kind.
 */
import type { Simulation } from "../sim/simulation";
import { DbReader, NotFoundError, type Post, type User } from "./domain";
import { GrpcError, GrpcServer, GrpcStatus, type GrpcServerOptions, type ServerCall } from "./grpc";
import { ProtoSchema, type ProtoValue } from "./protobuf";

/** The `.proto` of the example domain (package `social.v1`). */
export const SOCIAL_PROTO = `syntax = "proto3";
package social.v1;

message User {
  int32 id = 1;
  string name = 2;
  string handle = 3;
  string email = 4;
  string avatar_url = 5;
  string bio = 6;
  string location = 7;
  int32 followers = 8;
  string created_at = 9;
}

message Post {
  int32 id = 1;
  int32 author_id = 2;
  string title = 3;
  string body = 4;
  repeated string tags = 5;
  int32 likes = 6;
  string created_at = 7;
}

// What the posts screen shows: the contract names exactly these fields.
message PostCard {
  int32 id = 1;
  string title = 2;
  string author_name = 3;
}

message GetUserRequest { int32 id = 1; }
message ListPostsRequest { int32 page_size = 1; }
message ListPostCardsResponse { repeated PostCard posts = 1; }
message UploadSummary { int32 received = 1; int32 total_likes = 2; }
message ChatMessage { int32 seq = 1; string from = 2; string text = 3; }

service PostService {
  rpc GetUser(GetUserRequest) returns (User);                    // unary
  rpc ListPostCards(ListPostsRequest) returns (ListPostCardsResponse); // unary
  rpc StreamPosts(ListPostsRequest) returns (stream Post);       // server streaming
  rpc UploadPosts(stream Post) returns (UploadSummary);          // client streaming
  rpc Chat(stream ChatMessage) returns (stream ChatMessage);     // bidirectional
}
`;

/** The example message of the Protobuf wire-format spec: `{id: 150, name: "alice", active: true}` → 12 bytes. */
export const EXAMPLE_PROTO = `syntax = "proto3";
message User {
  int32 id = 1;
  string name = 2;
  bool active = 3;
}
`;

let parsed: ProtoSchema | undefined;
/** {@link SOCIAL_PROTO}, parsed once. */
export function socialProto(): ProtoSchema {
  return (parsed ??= ProtoSchema.parse(SOCIAL_PROTO));
}

/** Options of {@link createSocialGrpcServer}. */
export interface SocialGrpcServerOptions {
  /** Server node. Default `grpc-api`. */
  name?: string;
  /** Database node. Default `db`. */
  db?: string;
  /** Processing time per call, ms. Default 1. */
  serviceTimeMs?: number;
  /** Replace or remove (`undefined`) handlers, e.g. to show `UNIMPLEMENTED`. */
  handlers?: GrpcServerOptions["handlers"];
  /** Gap between streamed posts in `StreamPosts`, ms. Default 5. */
  streamGapMs?: number;
}

const toUser = (u: User): ProtoValue => ({ ...u });
/** What is left of the call's deadline, passed on to the database (deadline propagation). */
const left = (call: ServerCall) => (call.deadline === Infinity ? undefined : call.deadline - call.sim.now);
const toPost = (p: Post): ProtoValue => ({ ...p });

/**
 * The `social.v1.PostService` server: `GetUser` (NOT_FOUND for an unknown id),
 * database queries bounded by what is left of the call's deadline,
 * `ListPostCards` (2 database queries: the posts, then their authors in one batch),
 * `StreamPosts`, `UploadPosts` and `Chat` (echoes each message back, upper-cased).
 */
export function createSocialGrpcServer(sim: Simulation, options: SocialGrpcServerOptions = {}): GrpcServer {
  const name = options.name ?? "grpc-api";
  const reader = new DbReader(sim, name, options.db ?? "db");
  const gap = options.streamGapMs ?? 5;
  const handlers: GrpcServerOptions["handlers"] = {
    GetUser: async (call) => {
      try {
        return toUser(await reader.query<User>(`/users/${String(call.request!.id)}`, "GET", undefined, left(call)));
      } catch (error) {
        if (error instanceof NotFoundError) throw new GrpcError(GrpcStatus.NOT_FOUND, `no user ${String(call.request!.id)}`);
        throw error;
      }
    },
    ListPostCards: async (call) => {
      const size = Number(call.request!.pageSize) || 20;
      if (size > 100) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, `page_size must be at most 100, got ${size}`);
      const posts = await reader.query<Post[]>(`/posts?limit=${size}`, "GET", undefined, left(call));
      const users = await reader.query<User[]>(`/users?ids=${[...new Set(posts.map((p) => p.authorId))].join(",")}`, "GET", undefined, left(call));
      return { posts: posts.map((p) => ({ id: p.id, title: p.title, authorName: users.find((u) => u.id === p.authorId)?.name ?? "" })) };
    },
    StreamPosts: async (call) => {
      const posts = await reader.query<Post[]>(`/posts?limit=${Number(call.request!.pageSize) || 20}`);
      for (const p of posts) {
        if (call.cancelled) return;
        call.write(toPost(p));
        await sim.sleep(gap);
      }
    },
    UploadPosts: async (call) => {
      let received = 0;
      let totalLikes = 0;
      for await (const p of call.messages()) {
        received++;
        totalLikes += Number(p.likes ?? 0);
      }
      return { received, totalLikes };
    },
    Chat: async (call) => {
      for await (const m of call.messages()) call.write({ seq: m.seq, from: name, text: String(m.text).toUpperCase() });
    },
    ...options.handlers,
  };
  for (const [k, v] of Object.entries(handlers)) if (v === undefined) delete handlers[k];
  return new GrpcServer(sim, { name, proto: socialProto(), service: "social.v1.PostService", handlers, ...(options.serviceTimeMs !== undefined ? { serviceTimeMs: options.serviceTimeMs } : {}) });
}
