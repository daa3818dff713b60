"""The website and JSON API of casebank (FastAPI + Jinja2), built by `web.app.create_app`."""
