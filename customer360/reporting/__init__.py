"""The six-monthly report: `customer360 report --from DATE --to DATE --output report.html`.

`data.py` asks analytics for the figures (small groups already suppressed), `findings.py` turns
them into plain-English sentences, `charts.py` draws them (matplotlib, inline SVG), `document.py`
lays out one self-contained HTML file, and `command.py` is the entry point the CLI calls.
"""
