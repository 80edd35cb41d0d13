import type { KafkaMessage } from "sde-lab";
import type { IdempotentConsumerSolution, PaymentsStore } from "sde-lab/challenges";

const paymentHandler: IdempotentConsumerSolution = {
  async handle(message: KafkaMessage, store: PaymentsStore) {
    const paymentId = String(message.key);
    const [orderId, cents] = String(message.value).split(":");
    await store.transaction(async (tx) => {
      if (await tx.isProcessed(paymentId)) return;
      await tx.markProcessed(paymentId);
      await tx.charge(orderId!, Number(cents));
    });
  },
};
