/**
 * Message brokers: a Kafka-like replicated log shaped like kafkajs, a RabbitMQ-like AMQP
 * 0-9-1 broker shaped like amqplib's channel API, and the delivery-guarantee demos.
 */
export { type Content } from "./content";
export * from "./kafka/index";
export * from "./rabbitmq/index";
export {
  compareDeliveryGuarantees,
  DELIVERY_GUARANTEES,
  DELIVERY_DEFAULTS,
  type DeliveryGuarantee,
  type DeliveryOptions,
  type DeliveryRun,
  type DeliveryComparison,
} from "./guarantees";
export { compareKafkaRabbitMQ, type BrokerComparison, type BrokerComparisonOptions, type BrokerMeasurements } from "./comparison";
