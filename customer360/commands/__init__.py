"""The write path: one handler per mutation (validate, intent + outbox, deliver, invalidate)."""
