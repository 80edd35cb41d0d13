// Kafka vs RabbitMQ: the same events through both simulations, compared on measured numbers.
import { compareKafkaRabbitMQ } from "sde-lab";

/*$0*/
await compareKafkaRabbitMQ({ messages: /*$1*/300, keys: /*$2*/10, seed: 7 });
