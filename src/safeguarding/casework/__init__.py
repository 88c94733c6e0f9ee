"""Statutory case work: referrals, allocation, and (to come) assessments, section 47s, plans and conferences."""
