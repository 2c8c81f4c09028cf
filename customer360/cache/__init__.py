"""Read-through caching of back-office answers: in-process by default, Redis when configured."""
