"""HTTP middleware in front of the GraphQL endpoint: what is refused before any GraphQL runs.

Order, outermost first (`customer360.app.create_app` wires it; `stack.py` builds it):

0. `kept_answers.KeptAnswers`   - a resident's repeated own read sent as its kept bytes, before all of the
                                  below (it checks the token and counts the rate limits itself); only
                                  `tracing.TracedRequests`, while tracing is on, runs before it
1. `request_id.RequestIds`      - an `X-Request-ID` on every request and response, and in every log line
2. `headers.SecurityHeaders`    - nosniff, Referrer-Policy, CSP, frame-ancestors, HSTS in production
3. CORS (Starlette's)           - only the origins in `C360_CORS_ORIGINS`
4. `timeout.RequestTimeout`     - 504 when a request runs past `C360_REQUEST_TIMEOUT_SECONDS`
5. `body_limit.BodySizeLimit`   - 413 past `C360_MAX_BODY_BYTES` (a multipart upload: past its files' limit)
6. `rate_limit.ClientRateLimit` - 429 + Retry-After past `C360_RATE_LIMIT_PER_IP` per window
7. `content_type.CsrfGuard`     - POST /graphql must be JSON, or carry a preflight-forcing header (uploads)
8. `purpose.AccessPurposes`     - a malformed `X-Access-Purpose` is a 400
then, on /graphql and /subgraph, `authentication.Authenticated` (401 for a bad token) and the
per-principal rate limit (`rate_limit.PrincipalRateLimit`); before them, on /subgraph with
`C360_SUBGRAPH_SECRET` set, `gateway_secret.GatewaySecret` (401 without `X-Subgraph-Secret`, 403 wrong).
"""
