"""The front door (MASH): contacts, screening, RAG deadlines, partner checks, threshold decisions, partner portal."""

# Importing any part of the capability supplies the front door's clock events to timescales and its contacts to every
# child's case chronology (timescales and case work import nothing of the front door).
from safeguarding.front_door import case_chronology as _case_chronology  # noqa: F401
from safeguarding.front_door import timescale_events as _timescale_events  # noqa: F401
