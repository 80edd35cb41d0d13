/**
 * Errors of the RabbitMQ simulation. As in AMQP 0-9-1, a failed operation closes its
 * channel with a reply code (a "soft" error), or the whole connection (a "hard" error such
 * as 503 COMMAND_INVALID or 530 NOT_ALLOWED); amqplib reports it as an error with `code`,
 * `classId` and `methodId`. Using a closed channel afterwards is an
 * {@link IllegalOperationError} (amqplib's name).
 */

/** AMQP reply codes the simulation uses. */
export const AMQP_REPLY_CODES = {
  312: "NO-ROUTE",
  320: "CONNECTION-FORCED",
  403: "ACCESS-REFUSED",
  404: "NOT-FOUND",
  405: "RESOURCE-LOCKED",
  406: "PRECONDITION-FAILED",
  503: "COMMAND-INVALID",
  530: "NOT-ALLOWED",
} as const;

/** An AMQP reply code. */
export type AmqpReplyCode = keyof typeof AMQP_REPLY_CODES;

/** Reply codes that close the whole connection rather than the channel (AMQP 0-9-1 "hard" errors). */
export const CONNECTION_ERROR_CODES: ReadonlySet<AmqpReplyCode> = new Set<AmqpReplyCode>([320, 503, 530]);

/** AMQP class and method ids of the methods the simulation answers (amqplib puts them on errors). */
export const AMQP_METHOD_IDS = {
  ChannelOpen: [20, 10],
  ChannelClose: [20, 40],
  ExchangeDeclare: [40, 10],
  ExchangeDelete: [40, 20],
  ExchangeBind: [40, 30],
  ExchangeUnbind: [40, 40],
  QueueDeclare: [50, 10],
  QueueBind: [50, 20],
  QueuePurge: [50, 30],
  QueueDelete: [50, 40],
  QueueUnbind: [50, 50],
  BasicQos: [60, 10],
  BasicConsume: [60, 20],
  BasicCancel: [60, 30],
  BasicPublish: [60, 40],
  BasicGet: [60, 70],
  BasicAck: [60, 80],
  BasicReject: [60, 90],
  BasicRecover: [60, 110],
  BasicNack: [60, 120],
  ConfirmSelect: [85, 10],
} as const satisfies Record<string, readonly [number, number]>;

/** An AMQP method name, e.g. `QueueDeclare`. */
export type AmqpMethod = keyof typeof AMQP_METHOD_IDS;

/**
 * The broker closed the channel (or connection) because of an error: publishing to a missing
 * exchange (404), acking an unknown delivery tag or redeclaring with other arguments (406),
 * touching another connection's exclusive queue (405). The message reads like amqplib's.
 */
export class AmqpChannelError extends Error {
  override name = "AmqpChannelError";
  /** AMQP class id of the method that failed (amqplib's `classId`), e.g. 50 for queue methods. */
  readonly classId: number;
  /** AMQP method id within the class (amqplib's `methodId`), e.g. 10 for declare. */
  readonly methodId: number;
  /**
   * @param code - AMQP reply code (404, 405, 406, …)
   * @param replyText - the broker's text, e.g. `NOT_FOUND - no exchange 'x' in vhost '/'`
   * @param operation - the AMQP method that failed, e.g. `QueueDeclare`, when it was an RPC
   * @param method - the method that caused the close when it was not an RPC (`BasicPublish`, `BasicAck`)
   */
  constructor(
    readonly code: AmqpReplyCode,
    readonly replyText: string,
    readonly operation?: string,
    method?: AmqpMethod,
  ) {
    super(
      operation
        ? `Operation failed: ${operation}; ${code} (${AMQP_REPLY_CODES[code]}) with message "${replyText}"`
        : `Channel closed by server: ${code} (${AMQP_REPLY_CODES[code]}) with message "${replyText}"`,
    );
    const ids = AMQP_METHOD_IDS[(method ?? operation ?? "") as AmqpMethod] ?? [0, 0];
    this.classId = ids[0];
    this.methodId = ids[1];
  }

  /** True for a hard error, which closes the connection and every channel on it. */
  get closesConnection(): boolean {
    return CONNECTION_ERROR_CODES.has(this.code);
  }
}

/** The broker closed the connection (amqplib emits it as the connection's `'error'`). */
export class AmqpConnectionError extends Error {
  override name = "AmqpConnectionError";
  constructor(
    readonly code: AmqpReplyCode,
    readonly replyText: string,
  ) {
    super(`Connection closed: ${code} (${AMQP_REPLY_CODES[code]}) with message "${replyText}"`);
  }
}

/** An operation on a channel or connection that is closed (amqplib's `IllegalOperationError`). */
export class IllegalOperationError extends Error {
  override name = "IllegalOperationError";
  constructor(
    message: string,
    /** The error that closed the channel, if the broker closed it. */
    readonly closedBy?: AmqpChannelError,
  ) {
    super(closedBy ? `${message} (closed by the broker: ${closedBy.code} ${closedBy.replyText}); open a new channel with connection.createChannel()` : `${message}; open a new channel with connection.createChannel()`);
  }
}
