"""Children in care and care leavers: the council's corporate parenting on the record."""

# Importing any part of the capability supplies its clock events to timescales (timescales imports no capability:
# each brings its own reader).
from safeguarding.children_in_care import care_leaver_timescale_events as _care_leaver_timescale_events  # noqa: F401
