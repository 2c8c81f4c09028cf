// GraphQL Yoga answering the captured `me` document from memory: the Node peer bench/run.py measures beside
// its Python baselines (bench/baselines.py), as an independent harness did for issue 25.
//
//     node bench/yoga/server.mjs --port P --document me.json [--response-cache]
//
// The schema is the gateway's published one (schema.graphql at the repository's root), so Yoga parses and
// validates the same document against the same types, enums and scalars the gateway does; only `me` has a
// resolver (the captured answer's object), every other field Yoga's default resolver (a property read).
// `--response-cache` adds Yoga's own response cache (@graphql-yoga/plugin-response-cache) with one cache for
// every caller (the bench's request carries no token), so from the second request on `me` is a kept answer,
// as the gateway's warm rows are. `/healthz` answers when the server is up, as the other servers' do.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { createSchema, createYoga } from 'graphql-yoga';

const PUBLISHED_SCHEMA = new URL('../../schema.graphql', import.meta.url);

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    document: { type: 'string' },
    'response-cache': { type: 'boolean', default: false },
  },
});
if (!args.port || !args.document) {
  console.error('usage: node bench/yoga/server.mjs --port P --document me.json [--response-cache]');
  process.exit(2);
}

const me = JSON.parse(readFileSync(args.document, 'utf8')).data.me;
const schema = createSchema({
  typeDefs: readFileSync(PUBLISHED_SCHEMA, 'utf8'),
  resolvers: { Query: { me: () => me } },
});
// session null: one cache for every caller. No extension metadata: a kept answer is the same data.
// idFields []: the cache's entity tracking (to invalidate by the ids a mutation returns; the peer has no
// mutations) would select `id` on every type that has one, and the captured answer holds only what the
// document selects (not `LinkedRecord.id`, a non-null field). A hit is answered before Yoga parses the
// document, so this changes only the first request, not what the warm rows measure.
const plugins = args['response-cache']
  ? [useResponseCache({ session: () => null, includeExtensionMetadata: false, idFields: [] })]
  : [];
const yoga = createYoga({
  schema,
  plugins,
  graphiql: false,
  landingPage: false,
  healthCheckEndpoint: '/healthz',
  logging: 'warn',
});

createServer(yoga).listen(Number(args.port), args.host);
