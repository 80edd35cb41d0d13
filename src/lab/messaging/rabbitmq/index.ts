/** The RabbitMQ simulation (AMQP 0-9-1), shaped like amqplib's channel API. */
export { RabbitMQ, RABBITMQ_DEFAULTS, type RabbitMQOptions, type QueueStats, type XDeath, type AmqpTimestamp, type RabbitMQTopology } from "./broker";
export { compareOnRealBroker, START_A_BROKER, type RealBrokerOptions, type ComparePublish, type AmqplibLike, type TopologyChannel } from "./real-broker";
export { Connection, Channel, ConfirmChannel, type ChannelStats } from "./channel";
export { AmqpChannelError, AmqpConnectionError, IllegalOperationError, AMQP_REPLY_CODES, type AmqpReplyCode } from "./errors";
export { topicMatches, headersMatch } from "./routing";
export type { AmqpMessage, MessageContent, ReturnedMessage, ReturnFields, MessageFields, MessageProperties, PublishOptions, AssertQueueOptions, AssertExchangeOptions, ConsumeOptions, ExchangeType } from "./types";
