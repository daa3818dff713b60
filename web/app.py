"""Build the FastAPI application: routes, templates, static files, headers and errors.

`create_app(settings)` is what tests drive through TestClient; `casebank serve` runs
`app_from_env` (an app factory by import string, as uvicorn's workers need: each worker
process builds its own app from the environment). The app reads cases through the store
(one SQLite connection per worker thread) and searches through the search service,
created on first use so pages that do not search (case, about, organisation) work
before an index exists.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from corpus.settings import Settings
from web import api, exports, pages
from web.errors import install_error_handlers, require_utf8
from web.index_state import build_state
from web.resources import Resources
from web.security import CacheControl, HeadAsGet, SecurityHeaders
from web.templating import templates

STATIC_DIR = Path(__file__).parent / "static"
#: Swagger UI's files as the fastapi-offline package ships them (no CDN at run time).
SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The casebank web application for the store and index under `settings.data_dir`."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="casebank",
        summary="Social-impact-bond cases: search, case records and ingest runs.",
        description=(
            'JSON API of casebank. Errors are `{"error": {"status": N, "message": ...}}`. '
            "Case data from GO Lab INDIGO (Government Outcomes Lab, University of Oxford) "
            "and other sources credited on /about."
        ),
        version="0.1.0",
        dependencies=[Depends(require_utf8)],
        # The docs page is served below from packaged Swagger UI files, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.resources = Resources(settings)
    app.add_middleware(CacheControl)
    app.add_middleware(SecurityHeaders)
    # Pages and JSON shrink to a fifth: it matters on a phone. Level 5, not Starlette's
    # 9: a 95 KB results page compresses in 1.4 ms instead of 2.3, to 12.2 KB instead of
    # 11.6.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    # Outermost, so every route and mount below answers HEAD like GET.
    app.add_middleware(HeadAsGet)
    templates.env.globals["index_build"] = index_build
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_DIR), name="docs-assets")
    app.include_router(api.router)
    # Before the pages: `/cases/{id}.json` must not be read as a case id ending in ".json".
    app.include_router(exports.router)
    app.include_router(pages.router)
    return app


def index_build(request: Request) -> dict | None:
    """The build under way for the pages' banner, with `live`: an older index serves."""
    from search.index_files import current_generation

    settings = request.app.state.resources.settings
    build = build_state(settings)
    if build is None:
        return None
    return {**build, "live": current_generation(settings.index_dir) is not None}


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory web.app:app_from_env` (settings from CASEBANK_*)."""
    return create_app(Settings.from_env())
