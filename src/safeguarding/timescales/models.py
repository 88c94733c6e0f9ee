"""Tables of the timescales capability."""

from __future__ import annotations
