"""Children in care and care leavers: periods of care, legal status, placements and carers as events, the SSDA903
episodes derived from them, looked-after reviews, statutory visits, health assessments, personal education plans, and
care leavers with their personal advisers, pathway plans and OC3 facts."""

# Importing any part of the capability supplies its clock events to timescales (timescales imports no capability:
# each brings its own reader).
from safeguarding.children_in_care import care_leaver_timescale_events as _care_leaver_timescale_events  # noqa: F401
from safeguarding.children_in_care import timescale_events as _timescale_events  # noqa: F401
