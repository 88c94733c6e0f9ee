"""Children in care: periods of care, legal status, placements and carers as events, the SSDA903 episodes derived
from them, looked-after reviews, statutory visits, health assessments and personal education plans."""

# Importing any part of the capability supplies its clock events to timescales (timescales imports no capability:
# each brings its own reader).
from safeguarding.children_in_care import timescale_events as _timescale_events  # noqa: F401
