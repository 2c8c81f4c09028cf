"""The resident portal: GOV.UK Design System pages rendered on the server, working without JavaScript.

It is a client of the GraphQL API like any other: every figure on its pages comes from a GraphQL
document in `graphql/` (those documents are the portal's production trusted-document allowlist),
sent through the same HTTP app with the signed-in resident's bearer token. It keeps only its own
sessions (`customer360.store.portal_sessions`), never reads resident data from the store.

Sign-in here is the demo identity page; OpenID Connect for production (GOV.UK One Login, Authlib)
is not built yet, so outside demo mode the start page says sign-in is unavailable and `/sign-in`
answers 404.
"""
