/** API gateway, rate limiters, request aggregation and backends for frontends. */
export { retryAfterSeconds, KeyedRateLimiter, type RateLimiter, type RateDecision, type RateDecisionEvent } from "./rate-limiter";
export { TokenBucket, TOKEN_BUCKET_DEFAULTS, type TokenBucketOptions } from "./token-bucket";
export { LeakyBucket, LEAKY_BUCKET_DEFAULTS, type LeakyBucketOptions, type LeakyBucketMode } from "./leaky-bucket";
export { FixedWindow, FIXED_WINDOW_DEFAULTS, type FixedWindowOptions } from "./fixed-window";
export { SlidingWindowLog, SLIDING_WINDOW_LOG_DEFAULTS, type SlidingWindowLogOptions } from "./sliding-window-log";
export { SlidingWindowCounter, SLIDING_WINDOW_COUNTER_DEFAULTS, type SlidingWindowCounterOptions } from "./sliding-window-counter";
export { runLimiter, compareLimiters, burstAt, steadyArrivals, LimiterTimeline, type TimelineEntry, type TimelineOptions } from "./limiter-timeline";
export { sha256, hmacSha256 } from "./hmac";
export { signToken, verifyToken, decodeToken, type TokenClaims, type TokenCheck, type TokenProblem, type SignOptions } from "./token";
export { GatewayAuthenticator, GATEWAY_AUTH_DEFAULTS, type GatewayAuthOptions, type ApiKeyGrant, type Identity as GatewayIdentity, type AuthOutcome } from "./auth";
export { type GatewayRoute, type ProxyRoute, type AggregateRoute, type RouteBase, type CompiledRoute } from "./routes";
export { composeParts, type AggregatePart, type AggregateBody, type PartOutcome } from "./aggregate";
export { ApiGateway, API_GATEWAY_DEFAULTS, type ApiGatewayOptions, type GatewayEvent, type GatewayStep } from "./gateway";
export { shapePayload, jsonBytes as jsonPayloadBytes, type ShapeOptions } from "./shape";
export {
  BackendForFrontend,
  BFF_DEFAULTS,
  type BackendForFrontendOptions,
  type BffPart,
  type BffScreen,
  type BffStats,
} from "./bff";
