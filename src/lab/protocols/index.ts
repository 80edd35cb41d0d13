/**
 * Communication protocols on the simulation core: REST, GraphQL and gRPC serving one
 * example domain, and WebSocket, SSE and long polling carrying one feed, over TCP-like
 * connections with HTTP/1.1 and HTTP/2 framing counted byte for byte; plus comparisons that
 * run the same workload over each and tabulate round trips, bytes and latency.
 */
export { sha1, base64, fromBase64, utf8Length, hexBytes, jsonLength } from "./encoding";
export { Connection, ConnectionError, Wire, wireOf, networkDrop, silentDrop, TRANSPORT_DEFAULTS, type Frame, type Side, type CloseReason, type ConnectionStats, type TransportOptions, type NetworkDropOptions, type SilentDropOptions, type ConnectionListener } from "./transport";
export {
  HttpServer,
  HttpClient,
  HttpTimeoutError,
  httpServer,
  httpRequest,
  jsonResponse,
  emptyResponse,
  requestBytes,
  responseBytes,
  responseHeadBytes,
  chunkBytes,
  STATUS_TEXT,
  HTTP_CLIENT_DEFAULTS,
  type HttpRequest,
  type HttpResponse,
  type HttpHandler,
  type HttpContext,
  type ResponseStream,
  type HttpStream,
  type HttpStreamHandlers,
  type HttpClientOptions,
  type HttpClientStats,
  type HttpServerStats,
  type Http1Message,
} from "./http1";
export { SocialDb, DbReader, NotFoundError, createSocialData, SOCIAL_DATA_DEFAULTS, SOCIAL_DB_DEFAULTS, type User, type Post, type Comment, type SocialData, type SocialDataOptions, type SocialDbOptions, type SocialDbStats } from "./domain";
export { RestApi, RestClient, sparse, etagOf, etagMatches, REST_API_DEFAULTS, REST_CLIENT_DEFAULTS, type RestApiOptions, type RestApiStats, type RestClientOptions, type RestClientStats, type RestResult, type PostWithAuthor } from "./rest";
export {
  GraphQLServer,
  GraphQLClient,
  SOCIAL_SCHEMA,
  GRAPHQL_SERVER_DEFAULTS,
  GRAPHQL_CLIENT_DEFAULTS,
  type GraphQLServerOptions,
  type GraphQLServerStats,
  type GraphQLClientOptions,
  type GraphQLResponse,
  type GraphQLResult,
  type GraphQLQueryOptions,
  type GraphQLErrorEntry,
} from "./graphql";
export { ProtoSchema, ProtoMessageType, ProtoSchemaError, ProtoParseError, WireComparison, grpcFrame, readGrpcFrame, type ProtoValue, type ProtoFieldInfo, type ProtoMethodInfo, type ProtoServiceInfo, type RpcKind } from "./protobuf";
export {
  GrpcServer,
  GrpcClient,
  GrpcError,
  GrpcStatus,
  grpcStatusName,
  grpcTimeoutHeader,
  parseGrpcTimeout,
  GRPC_SERVER_DEFAULTS,
  GRPC_CLIENT_DEFAULTS,
  type GrpcStatusName,
  type GrpcHandler,
  type ServerCall,
  type GrpcServerOptions,
  type GrpcServerStats,
  type GrpcClientOptions,
  type GrpcClientStats,
  type GrpcCallOptions,
  type ClientReadableCall,
  type ClientWritableCall,
  type ClientDuplexCall,
  type H2Frame,
} from "./grpc";
export { SOCIAL_PROTO, EXAMPLE_PROTO, socialProto, createSocialGrpcServer, type SocialGrpcServerOptions } from "./social-grpc";
export { TickFeed, TICK_FEED_DEFAULTS, type FeedEvent, type FeedSource, type TickFeedOptions, type Tick } from "./feed";
export {
  SimWebSocket,
  ServerWebSocket,
  WebSocketServer,
  ReconnectingWebSocket,
  InvalidStateError,
  InvalidAccessError,
  websocketAccept,
  websocketFrameBytes,
  WEBSOCKET_GUID,
  CloseCode,
  ReadyState,
  WEBSOCKET_SERVER_DEFAULTS,
  RECONNECT_DEFAULTS,
  type WebSocketCloseEvent,
  type WebSocketStats,
  type SimWebSocketOptions,
  type WebSocketServerOptions,
  type ReconnectOptions,
  type ReconnectJitter,
} from "./websocket";
export { SseServer, SimEventSource, EventStreamParser, formatEvent, SSE_SERVER_DEFAULTS, EVENT_SOURCE_DEFAULTS, type ServerSentEvent, type EventFields, type SseServerOptions, type SseServerStats, type SimEventSourceOptions, type EventSourceStats } from "./sse";
export { LongPollServer, LongPollClient, LONG_POLL_SERVER_DEFAULTS, LONG_POLL_CLIENT_DEFAULTS, type LongPollServerOptions, type LongPollServerStats, type LongPollClientOptions, type LongPollClientStats, type PollAnswer } from "./long-polling";
export {
  protocolLab,
  loadPostsScreen,
  comparePostsScreen,
  compareFeeds,
  runFeed,
  compareHeadOfLine,
  postsScreenPayloads,
  ScreenComparison,
  FeedComparison,
  HeadOfLineComparison,
  SCREEN_APPROACHES,
  FEED_PROTOCOLS,
  POSTS_SCREEN_QUERY,
  PROTOCOL_LAB_DEFAULTS,
  type ProtocolLab,
  type ProtocolLabOptions,
  type ScreenApproach,
  type ScreenLoad,
  type ScreenRow,
  type ScreenComparisonOptions,
  type FeedProtocol,
  type FeedRunOptions,
  type FeedRow,
  type HeadOfLineOptions,
  type HeadOfLineRow,
} from "./compare";
