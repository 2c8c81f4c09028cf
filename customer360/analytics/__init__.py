"""Analytics on residents' interactions: recording events, and publishing figures about groups of people.

`recorder.EventRecorder` is what the write path and sign-in call; `figures.Analytics` answers the
`demand` and `accessEquity` queries and the six-monthly report, with small groups suppressed by the
rules in `domain/analytics.py`; `keys.py` holds the deployment's pseudonymisation salt.
"""
