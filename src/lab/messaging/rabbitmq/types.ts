/** Shapes shared by the RabbitMQ broker and its amqplib-shaped client. */

/** Exchange types. */
export type ExchangeType = "direct" | "fanout" | "topic" | "headers";

/**
 * Message properties (amqplib's `MessageProperties`): all 14 keys are present on a received
 * message, `undefined` where the publisher set nothing; `headers` is `{}` when empty.
 */
export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  headers: Record<string, unknown>;
  /** 1 transient, 2 persistent. */
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  /** Per-message TTL in ms, as a string. */
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  /** Deprecated in AMQP 0-9-1; always undefined. */
  clusterId?: string;
}

/** A received message body: a Node `Buffer` in the kernel (amqplib's type); `String(content)` gives its UTF-8 text. */
export interface MessageContent extends Uint8Array {
  /** The body as text (`"utf8"` by default), as `Buffer#toString`. */
  toString(encoding?: string): string;
}

/** Delivery fields (amqplib's `MessageFields`). */
export interface MessageFields {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  consumerTag?: string;
  /** Ready messages left, for `get` only. */
  messageCount?: number;
}

/** Fields of a returned message (amqplib's `'return'` event): why it came back. */
export interface ReturnFields {
  /** 312 (NO_ROUTE) when no queue took a mandatory message. */
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/** A delivered message (amqplib's `Message`). */
export interface AmqpMessage {
  content: MessageContent;
  fields: MessageFields;
  properties: MessageProperties;
}

/** A message the broker returned to its publisher (mandatory and unroutable). */
export interface ReturnedMessage {
  content: MessageContent;
  fields: ReturnFields;
  properties: MessageProperties;
}

/** Options of `publish` / `sendToQueue` (amqplib's `Options.Publish`). */
export interface PublishOptions {
  /** Survives a broker restart when the queue is durable (deliveryMode 2). Default false. */
  persistent?: boolean;
  deliveryMode?: number;
  /** Per-message TTL, ms. */
  expiration?: string | number;
  /** Return the message to the publisher (`'return'` event) if no queue gets it. */
  mandatory?: boolean;
  headers?: Record<string, unknown>;
  contentType?: string;
  contentEncoding?: string;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  /** Extra routing keys, kept in the message's `CC` header (RabbitMQ's sender-selected distribution). */
  CC?: string | string[];
  /** Extra routing keys the broker removes before delivery (blind copies). */
  BCC?: string | string[];
}

/** Options of `assertQueue` (amqplib's names; each maps to a RabbitMQ argument). */
export interface AssertQueueOptions {
  /** Survives a broker restart. Default true (amqplib). */
  durable?: boolean;
  /** Only this connection may use it; deleted when it closes. Default false. */
  exclusive?: boolean;
  /** Deleted when its last consumer goes. Default false. */
  autoDelete?: boolean;
  /** `x-message-ttl`: messages expire after this many ms in the queue. */
  messageTtl?: number;
  /** `x-expires`: the queue is deleted after this many ms unused. */
  expires?: number;
  /** `x-dead-letter-exchange`. */
  deadLetterExchange?: string;
  /** `x-dead-letter-routing-key` (default: the message's own routing key). */
  deadLetterRoutingKey?: string;
  /** `x-max-length`: most ready messages. */
  maxLength?: number;
  /** `x-overflow`: `drop-head` (default), `reject-publish` or `reject-publish-dlx`. */
  overflow?: "drop-head" | "reject-publish" | "reject-publish-dlx";
  /** Raw queue arguments (`x-…`), as in amqplib. */
  arguments?: Record<string, unknown>;
}

/** Options of `assertExchange`. */
export interface AssertExchangeOptions {
  /** Default true (amqplib). */
  durable?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  /** `alternate-exchange`: where messages no binding matched go. */
  alternateExchange?: string;
  arguments?: Record<string, unknown>;
}

/** Options of `consume`. */
export interface ConsumeOptions {
  /** Automatic acknowledgement: a message counts as acked once sent (at-most-once). Default false. */
  noAck?: boolean;
  exclusive?: boolean;
  consumerTag?: string;
  priority?: number;
  arguments?: Record<string, unknown>;
}
