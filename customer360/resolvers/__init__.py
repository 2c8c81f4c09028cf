"""Read resolvers: check permission, ask a loader, return domain records (never Strawberry types)."""
