"""Statutory returns: the CIN census (``cin_census/``: export from the live record, validation against the DfE's
rules, the XML) and Ofsted's Annex A lists for an inspection. The leaders' insight (indicators beside the national
figures, workforce figures, the improvement plan) is a package of its own, ``safeguarding.insight``."""
