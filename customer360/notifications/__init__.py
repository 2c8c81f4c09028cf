"""Keeping residents told: messages through GOV.UK Notify, and the back offices' changes flowing in."""
