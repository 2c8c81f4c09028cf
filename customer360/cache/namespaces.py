"""Cache namespaces are `<source>.<operation>`, declared by each back office with its reads
(`sources/<system>/__init__.py`); the cache knows only which ones it must never keep."""

# Safeguarding data goes from the agency to the member of staff and nowhere else: a namespace under
# this prefix is read straight through, never cached fresh nor kept as a last known copy.
NEVER_CACHED = "safeguarding."
