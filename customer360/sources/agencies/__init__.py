"""The safeguarding agencies' case queues: not a people source (nobody is linked from them), so not
registered with the back offices; reached by `commands/safeguarding.py` through `AgencyQueuesSql`."""
