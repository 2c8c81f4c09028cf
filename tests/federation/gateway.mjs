// A running Hive Gateway (@graphql-hive/gateway-runtime, the runtime of @graphql-hive/gateway) in front of
// the supergraph compose.mjs printed: `node gateway.mjs SUPERGRAPH_FILE [PORT]`. It forwards each resident's
// `Authorization` header to every subgraph, and, when SUBGRAPH_SECRET is set, sends it to customer360 as
// `X-Subgraph-Secret` (customer360's C360_SUBGRAPH_SECRET). It prints "listening on PORT" once it accepts
// requests (PORT 0 or none: a free one).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [supergraphFile, port] = process.argv.slice(2);
const secret = process.env.SUBGRAPH_SECRET;

const gateway = createGatewayRuntime({
  supergraph: readFileSync(supergraphFile, "utf8"),
  logging: "warn",
  propagateHeaders: {
    fromClientToSubgraphs({ request, subgraphName }) {
      const headers = { authorization: request.headers.get("authorization") };
      if (secret && subgraphName === "customer360") {
        headers["x-subgraph-secret"] = secret;
      }
      return headers;
    },
  },
});

const server = createServer(gateway);
server.listen(Number(port ?? 0), "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
// The runtime disposes of itself on SIGTERM but leaves the server listening: stop at once (the tests end it so).
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
