// gRPC: Protobuf bytes against JSON, then a call with a deadline over HTTP/2.
import { EXAMPLE_PROTO, GrpcError, ProtoSchema, display, protocolLab, table } from "sde-lab";

const User = ProtoSchema.parse(EXAMPLE_PROTO).type("User");
display(User.inspect({ id: /*$1*/150, name: "alice", active: true })); // 12 bytes vs 39 of JSON

const { sim, grpc } = protocolLab({ seed: 1 });
const rows = await sim.run(async () => {
  const out = [];
  for (const deadlineMs of [/*$2*/500, /*$3*/20]) {
    try {
      const res = await grpc.unary("ListPostCards", { pageSize: 20 }, { deadlineMs });
      out.push({ deadlineMs, outcome: "OK", posts: (res.posts as unknown[]).length });
    } catch (error) {
      out.push({ deadlineMs, outcome: error instanceof GrpcError ? error.message : String(error), posts: 0 });
    }
  }
  return out;
});
/*$0*/
table(rows);
