"""Statutory and local timescales: rules as data, deadlines derived from events, drift and delay."""
