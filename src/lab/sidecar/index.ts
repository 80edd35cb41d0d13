/** The sidecar pattern: a proxy beside each service adding mTLS, logs, metrics, timeouts and retries. */
export { Sidecar, SIDECAR_DEFAULTS, IDENTITY_HEADER, meshIdentity, isRetryableBySidecar, type SidecarOptions, type MtlsOptions, type AccessLogEntry, type SidecarStats } from "./sidecar";
