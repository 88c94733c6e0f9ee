"""Record linkage: who a person is across sources, with evidence a worker can read.

A Fellegi-Sunter model held as data (``model``), comparisons written once and run as SQL by an engine (``engines``:
DuckDB embedded, Spark distributed) or in Python for one pair (``scoring``), and clustering with the twins guard
(``clustering``). The names below are the interface other parts of ``people`` use (duplicates, merge, search).
"""

from safeguarding.people.linkage.engines import ENGINES, EngineUnavailable
from safeguarding.people.linkage.index import index_records
from safeguarding.people.linkage.linking import clusters, find_pairs, link
from safeguarding.people.linkage.model import DEFAULT_MODEL, DEFAULT_THRESHOLD, TWINS_WORDING
from safeguarding.people.linkage.records import PersonRecord
from safeguarding.people.linkage.scoring import Contribution, ScoredPair, best_matches, explain

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLD",
    "ENGINES",
    "TWINS_WORDING",
    "Contribution",
    "EngineUnavailable",
    "PersonRecord",
    "ScoredPair",
    "best_matches",
    "clusters",
    "explain",
    "find_pairs",
    "index_records",
    "link",
]
