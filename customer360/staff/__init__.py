"""The staff dashboard at `GET /staff`: a server-rendered shell and a small script over `/graphql` (see README.md)."""
