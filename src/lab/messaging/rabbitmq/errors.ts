/**
 * Errors of the RabbitMQ simulation. As in AMQP 0-9-1, a failed operation closes its
 * channel with a reply code, and amqplib reports it as an error with `code`; using a closed
 * channel afterwards is an {@link IllegalOperationError} (amqplib's name).
 */

/** AMQP reply codes the simulation uses. */
export const AMQP_REPLY_CODES = {
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

/**
 * The broker closed the channel (or connection) because of an error: publishing to a missing
 * exchange (404), acking an unknown delivery tag or redeclaring with other arguments (406),
 * touching another connection's exclusive queue (405). The message reads like amqplib's.
 */
export class AmqpChannelError extends Error {
  override name = "AmqpChannelError";
  /**
   * @param code - AMQP reply code (404, 405, 406, …)
   * @param replyText - the broker's text, e.g. `NOT_FOUND - no exchange 'x' in vhost '/'`
   * @param operation - the AMQP method that failed, e.g. `QueueDeclare`, when it was an RPC
   */
  constructor(
    readonly code: AmqpReplyCode,
    readonly replyText: string,
    readonly operation?: string,
  ) {
    super(
      operation
        ? `Operation failed: ${operation}; ${code} (${AMQP_REPLY_CODES[code]}) with message "${replyText}"`
        : `Channel closed by server: ${code} (${AMQP_REPLY_CODES[code]}) with message "${replyText}"`,
    );
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
