"""API docs (/docs Swagger UI, /redoc ReDoc) and the dashboard's libraries, served offline.

FastAPI's own pages load their scripts from a CDN, so they are blank on a machine without the
internet; these load the copies in api/static/vendor (scripts/vendor_assets.sh, with licences).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR = Path(__file__).parent / "static" / "vendor"
VENDOR_URL = "/static/vendor"


def add_offline_docs(app: FastAPI) -> None:
    """Mount the vendored assets and add /docs and /redoc pages that use only them.

    The app must be made with `docs_url=None, redoc_url=None` (FastAPI's CDN pages off).
    """
    app.mount(VENDOR_URL, StaticFiles(directory=VENDOR), name="vendor")
    title = f"{app.title} API"
    oauth2_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR_URL}/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=oauth2_url,
            # no badge asking validator.swagger.io about the schema
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(oauth2_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{VENDOR_URL}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{VENDOR_URL}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
