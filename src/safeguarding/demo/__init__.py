"""Synthetic demo council: deterministic from a seed, from a small borough to a large city."""
