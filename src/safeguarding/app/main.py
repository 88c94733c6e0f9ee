"""The ASGI application for uvicorn: ``safeguarding.app.main:app``."""

import sys

from safeguarding.app.factory import create_app, tune_garbage_collection

# Page handlers run in threads that share the GIL. A thread back from SQLite waits for the GIL up to the switch
# interval (5 ms by default); the one holding SQLite's write lock for a view's audit row does so several times per
# commit, so under load every other view's commit queued behind it. 1 ms keeps the lock's hold short (measured in
# bench/mash_load.py; see bench/results/mash-before-after.md).
sys.setswitchinterval(0.001)

app = create_app()
tune_garbage_collection()
