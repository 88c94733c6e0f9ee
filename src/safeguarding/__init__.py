"""Safeguarding: children's services case management for English local authorities."""

__version__ = "0.1.0"
