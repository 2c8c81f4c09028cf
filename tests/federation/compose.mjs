// Composes the subgraphs named on the command line (name=file.graphql or name=file.graphql=url ...) with
// Apollo's own composition, as a council's gateway would, and prints {"errors": [...]} or
// {"supergraphSdl": "..."} as JSON. The url is where the gateway reaches that subgraph.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = process.argv.slice(2).map((argument) => {
  const [name, file, url] = argument.split("=");
  return { name, url: url ?? `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
if (result.errors) {
  console.log(JSON.stringify({ errors: result.errors.map((error) => error.message) }));
  process.exit(1);
}
console.log(JSON.stringify({ supergraphSdl: result.supergraphSdl }));
