"""Who is asking (token verification, principals) and what they may see (policy)."""
