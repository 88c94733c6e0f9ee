"""Tables of the returns capability."""

from __future__ import annotations
