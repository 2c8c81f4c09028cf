"""Council rules and the records the back offices give us: pure Python, no I/O."""
