"""The front door (MASH): contacts, screening, RAG deadlines, partner checks, threshold decisions, partner portal."""

# Importing any part of the capability supplies the front door's clock events to timescales (timescales imports no
# capability: each brings its own reader).
from safeguarding.front_door import timescale_events as _timescale_events  # noqa: F401
