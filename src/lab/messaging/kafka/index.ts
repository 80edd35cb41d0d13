/** The Kafka simulation, shaped like kafkajs. */
export { Kafka, type ClusterView, type PartitionView } from "./kafka";
export { KAFKA_DEFAULTS, type KafkaOptions } from "./cluster";
export { Producer, Transaction, PRODUCER_DEFAULTS, type ProducerConfig, type ProducerRecord, type ProducerBatch, type RecordMetadata, type Message, type ProducerStats } from "./producer";
export {
  Consumer,
  CONSUMER_DEFAULTS,
  CONSUMER_EVENTS,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type ConsumerStats,
  type ConsumerEvent,
  type KafkaMessage,
  type EachMessagePayload,
  type EachBatchPayload,
  type Batch,
} from "./consumer";
export { Admin, type ITopicConfig } from "./admin";
export { Partitioners, murmur2, toPositive, partitionForKey, type ICustomPartitioner, type PartitionerArgs, type PartitionMetadata } from "./partitioners";
export { PartitionAssigners, type PartitionAssigner, type GroupAssignment, type TopicPartition, type AssignInput, type AssignerMember } from "./assigners";
export { TOPIC_CONFIG_DEFAULTS, type TopicConfig, type RecordHeaders } from "./log";
export { KAFKA_RETRY_DEFAULTS, type RetryOptions as KafkaRetryOptions } from "./retry";
export { type RebalanceRecord, type ConsumerGroupState, type LagRow } from "./group";
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSNumberOfRetriesExceeded,
  KAFKA_ERROR_CODES,
  type KafkaErrorType,
} from "./errors";
