"""The app: the top of the house. ``factory.create_app`` mounts every capability's pages and API, ``main`` is the ASGI
entry point for uvicorn, and the pages that belong to no one capability live here: signing in and a user's own
account (``auth``), administration (``admin``) and the audit log (``audit_pages``). Nothing below imports this
package; the import-linter contracts in pyproject.toml hold it at the top."""
