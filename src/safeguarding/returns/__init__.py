"""Inspection readiness: the CIN census (export and validation), Ofsted's Annex A, indicators beside the national
figures, workforce figures and the improvement plan. (The SSDA903 return comes with children in care.)"""
