"""The ASGI application for uvicorn: ``safeguarding.web.main:app``."""

from safeguarding.web.app import create_app

app = create_app()
