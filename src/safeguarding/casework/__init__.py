"""Statutory case work: episodes of need from referral to closure, assessments, strategy discussions, section 47
enquiries, conferences and plans, visits, case notes and chronologies, allocation, transfer and supervision; the
event kinds as data for one form engine (``events``) and the demo council's case work (``demo``)."""

# Importing any part of the capability supplies case work's clock events to timescales (timescales imports no
# capability: each brings its own reader).
from safeguarding.casework import timescale_events as _timescale_events  # noqa: F401
