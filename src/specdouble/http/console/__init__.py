"""The console: an HTML page at ``/__admin/`` to look at the mock instead of reading JSON.

Plain HTML, CSS and JavaScript shipped beside this module (no build step, no
network): the page is a shell that shows nothing by itself; its script reads
everything through the admin API (``specs/admin.yaml``) and ``GET /``, sending
the admin token the user typed. So the shell and its two files are served to
anyone, with or without ``--admin-token`` (see :func:`is_console_path`), while
the data stays behind the admin guard.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from specdouble.support.problems import not_found

CONSOLE_PATHS = ("/__admin", "/__admin/")
ASSET_PREFIX = "/__admin/console/"
_FILES = Path(__file__).resolve().parent
_ASSETS = {"console.js": "application/javascript", "console.css": "text/css"}
# Only this server's own files, no inline code, nothing from elsewhere.
_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def is_console_path(path: str) -> bool:
    """The page and its files: served without the admin token (they hold no data)."""
    return path in CONSOLE_PATHS or (path.startswith(ASSET_PREFIX)
                                     and path[len(ASSET_PREFIX):] in _ASSETS)


async def console_page(request: Request) -> Response:
    return FileResponse(_FILES / "console.html", media_type="text/html; charset=utf-8",
                        headers=_HEADERS)


async def console_asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _ASSETS:
        raise not_found(f"No console file '{name}'.")
    return FileResponse(_FILES / name, media_type=f"{_ASSETS[name]}; charset=utf-8",
                        headers=_HEADERS)
