"""Inspection readiness: the CIN census, SSDA903, Annex A, indicators and workforce figures."""
