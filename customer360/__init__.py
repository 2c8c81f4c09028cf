"""customer360: one GraphQL API over a council's back offices."""
