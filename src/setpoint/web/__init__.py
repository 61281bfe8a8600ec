"""The web player and the API docs, served from the installed package (no CDN: both work on
a LAN without internet). Mounted after the API routes, so `/api/...` always wins."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
DOCS = Path(__file__).parent / "docs"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5, in a PyPI package


def mount(app: FastAPI) -> None:
    """`/docs`: Swagger UI from the `fastapi-offline` package, started by a script file
    (no inline script, so a strict Content-Security-Policy holds); `/`: the player."""

    async def docs(_: Request) -> FileResponse:
        return FileResponse(DOCS / "index.html")

    app.add_route("/docs", docs, include_in_schema=False)
    app.mount("/docs/static", StaticFiles(directory=DOCS), name="docs-static")
    app.mount("/docs/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="web")
