// RabbitMQ: a topic exchange routes by pattern; the broker pushes to consumers up to their prefetch.
import { Simulation, RabbitMQ, table } from "sde-lab";

const sim = new Simulation({ seed: 1 });
const rabbit = new RabbitMQ(sim);
const received: { queue: string; routingKey: string; redelivered: boolean }[] = [];

await sim.run(async () => {
  const ch = await (await rabbit.connect()).createChannel();
  await ch.assertExchange(/*$1*/"orders", "topic");
  const { queue } = await ch.assertQueue(/*$2*/"eu-orders", { durable: true, deadLetterExchange: "" });
  await ch.bindQueue(queue, "orders", /*$3*/"orders.*.created");
  await ch.prefetch(/*$4*/10);
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    /*$0*/
    received.push({ queue, routingKey: msg.fields.routingKey, redelivered: msg.fields.redelivered });
    ch.ack(msg);
  });
  for (const key of ["orders.eu.created", "orders.created", "orders.us.created"]) {
    ch.publish("orders", key, Buffer.from("payload"), { persistent: true });
  }
  await sim.sleep(50);
});

table(received);
