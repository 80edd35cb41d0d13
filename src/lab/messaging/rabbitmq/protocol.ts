/**
 * The frames a client and the simulated broker exchange, and nothing else: the client's
 * channel sends {@link ClientFrame}s and reads {@link ServerFrame}s, as amqplib reads AMQP
 * frames from a socket. Broker state (queues, consumers, unacked deliveries) lives in broker
 * objects the client cannot reach; what the client knows came in a frame.
 */
import type { AmqpChannelError } from "./errors";
import type { Content } from "../content";
import type { AmqpMessage, AssertExchangeOptions, AssertQueueOptions, MessageProperties, ReturnedMessage } from "./types";

/** A request from the client. Frames with an `id` expect a `reply` or `fail` with that id. */
export type ClientFrame =
  | { method: "ConnectionOpen"; id: number }
  | { method: "ConnectionClose"; id: number }
  | { method: "ChannelOpen"; id: number; channel: number }
  | { method: "ChannelClose"; id: number; channel: number }
  | { method: "ConfirmSelect"; id: number; channel: number }
  | { method: "ExchangeDeclare"; id: number; channel: number; exchange: string; type: string; options: AssertExchangeOptions; passive: boolean }
  | { method: "ExchangeDelete"; id: number; channel: number; exchange: string; ifUnused: boolean }
  | { method: "QueueDeclare"; id: number; channel: number; queue: string; options: AssertQueueOptions; passive: boolean }
  | { method: "QueueDelete"; id: number; channel: number; queue: string; ifUnused: boolean; ifEmpty: boolean }
  | { method: "QueuePurge"; id: number; channel: number; queue: string }
  | { method: "QueueBind" | "QueueUnbind" | "ExchangeBind" | "ExchangeUnbind"; id: number; channel: number; destination: string; source: string; pattern: string; args: Record<string, unknown> }
  | { method: "BasicQos"; id: number; channel: number; count: number; global: boolean }
  | { method: "BasicConsume"; id: number; channel: number; queue: string; consumerTag: string; noAck: boolean; exclusive: boolean; priority: number }
  | { method: "BasicCancel"; id: number; channel: number; consumerTag: string }
  | { method: "BasicGet"; id: number; channel: number; queue: string; noAck: boolean }
  | { method: "BasicRecover"; id: number; channel: number }
  /** One-way: no reply (a confirm channel gets a `confirm` frame). */
  | { method: "BasicPublish"; channel: number; exchange: string; routingKey: string; content: Content; properties: MessageProperties; mandatory: boolean }
  /** One-way. `deliveryTag` 0 with `multiple` settles everything outstanding. */
  | { method: "BasicAck"; channel: number; deliveryTag: number; multiple: boolean; outcome: "ack" | "requeue" | "reject" };

/** A frame from the broker. */
export type ServerFrame =
  | { type: "reply"; id: number; result: unknown }
  | { type: "fail"; id: number; error: Error }
  | { type: "deliver"; channel: number; consumerTag: string; message: AmqpMessage }
  /** The broker cancelled a consumer (its queue was deleted). */
  | { type: "cancel"; channel: number; consumerTag: string }
  | { type: "return"; channel: number; message: ReturnedMessage }
  | { type: "confirm"; channel: number; seq: number; ok: boolean }
  /** The broker closed the channel; `failed` is the RPC that caused it, if one did (Channel.Close answers it). */
  | { type: "channel-close"; channel: number; error: AmqpChannelError; failed?: number }
  /** The connection is gone: `error` for a broker's hard error, otherwise `reason` says why. */
  | { type: "connection-close"; reason: string; error?: AmqpChannelError };

/** The client's end of a connection: it can only send frames. */
export interface Wire {
  send(frame: ClientFrame): void;
}
