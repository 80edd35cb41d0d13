/**
 * Errors of the Kafka simulation, named and shaped like kafkajs's: every one is a
 * {@link KafkaJSError} with `retriable`; broker error codes come as a
 * {@link KafkaJSProtocolError} with Kafka's `type` and numeric `code`.
 */

/** The base class of every Kafka error (kafkajs's name). */
export class KafkaJSError extends Error {
  override name = "KafkaJSError";
  /** True when retrying the same request may succeed. */
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.retriable = options.retriable ?? true;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** An error that retrying cannot fix (bad arguments, wrong state). */
export class KafkaJSNonRetriableError extends KafkaJSError {
  override name = "KafkaJSNonRetriableError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** Kafka protocol error codes the simulation returns (a subset of Kafka's table). */
export const KAFKA_ERROR_CODES = {
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, message: "The requested offset is not within the range of offsets maintained by the server" },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, message: "This server does not host this topic-partition" },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true, message: "There is no leader for this topic-partition as we are in the middle of a leadership election" },
  NOT_LEADER_FOR_PARTITION: { code: 6, retriable: true, message: "This server is not the leader for that topic-partition" },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, message: "The request timed out" },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true, message: "Messages are rejected since there are fewer in-sync replicas than required" },
  ILLEGAL_GENERATION: { code: 22, retriable: false, message: "Specified group generation id is not valid" },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, message: "The coordinator is not aware of this member" },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, message: "The group is rebalancing, so a rejoin is needed" },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, message: "Topic with this name already exists" },
  INVALID_PARTITIONS: { code: 37, retriable: false, message: "Number of partitions is invalid" },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, message: "Replication-factor is invalid" },
  INVALID_CONFIG: { code: 40, retriable: false, message: "Configuration is invalid" },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, message: "The broker received an out of order sequence number" },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, message: "Producer attempted an operation with an old epoch" },
  INVALID_TXN_STATE: { code: 48, retriable: false, message: "The producer attempted a transactional operation in an invalid state" },
  INVALID_RECORD: { code: 87, retriable: false, message: "This record has failed the validation on broker and hence will be rejected" },
} as const;

/** A Kafka error type, e.g. `UNKNOWN_TOPIC_OR_PARTITION`. */
export type KafkaErrorType = keyof typeof KAFKA_ERROR_CODES;

/** A broker answered with an error code (kafkajs's `KafkaJSProtocolError`). */
export class KafkaJSProtocolError extends KafkaJSError {
  override name = "KafkaJSProtocolError";
  /** Kafka's error name, e.g. `NOT_ENOUGH_REPLICAS`. */
  readonly type: KafkaErrorType;
  /** Kafka's numeric error code, e.g. 19. */
  readonly code: number;
  /**
   * @param type - the Kafka error type
   * @param detail - what happened here and what to do, appended to Kafka's own message
   */
  constructor(type: KafkaErrorType, detail?: string) {
    const info = KAFKA_ERROR_CODES[type];
    super(detail ? `${info.message}: ${detail}` : info.message, { retriable: info.retriable });
    this.type = type;
    this.code = info.code;
  }
}

/** The broker could not be reached (it is down, or the connection was refused). */
export class KafkaJSConnectionError extends KafkaJSError {
  override name = "KafkaJSConnectionError";
  constructor(
    message: string,
    readonly broker: string,
  ) {
    super(message);
  }
}

/** No answer came within `requestTimeout` (the request may still have been applied: outcome `info`). */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  override name = "KafkaJSRequestTimeoutError";
  /** As in Jepsen: the request may or may not have taken effect. */
  readonly outcome = "info" as const;
  constructor(
    message: string,
    readonly broker: string,
  ) {
    super(message);
  }
}

/** A retried request failed every time; `cause` is the last error. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  override name = "KafkaJSNumberOfRetriesExceeded";
  constructor(
    cause: Error,
    readonly retryCount: number,
    readonly retryTime: number,
  ) {
    super(`${cause.message} (gave up after ${retryCount} retries)`, { cause });
  }
}
