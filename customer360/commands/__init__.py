"""The write path: one module per portal service, each declared as a unit (`unit.py`) and listed in
`catalogue.py`: validate, keep the intent and its outbox deliveries, deliver, forget what it made stale."""
