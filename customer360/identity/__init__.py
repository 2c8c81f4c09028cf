"""The golden record: linking back-office records to people, survivorship, and who a principal is."""
