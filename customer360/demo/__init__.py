"""The demo council: synthetic back offices (their own databases and HTTP APIs) and their seeding."""
