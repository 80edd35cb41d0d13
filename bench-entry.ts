export { Simulation, ok, request } from "./src/lab/index";
export { Kafka } from "./src/lab/messaging/kafka/kafka";
export { ApiGateway } from "./src/lab/gateway/gateway";
export { comparePostsScreen } from "./src/lab/protocols/compare";
