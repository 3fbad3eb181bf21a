"""``GET /``: the services this server mocks, with links to spec and docs.

JSON by default (scripts, curl); an HTML page linking the console and each
Swagger UI when the client prefers ``text/html`` over JSON, as browsers do.
"""

from __future__ import annotations

import html
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from specdouble import __version__
from specdouble.world.runtime import Runtime, get_runtime

_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>specdouble</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/__admin/console/console.css"></head>
<body><header><h1>specdouble {version}</h1>
<nav><a href="/__admin/">Open the console</a> (journal, faults, state, tenants)</nav></header>
<main><section class="panel"><h2>Services</h2>
<table><thead><tr><th>Service</th><th>Swagger UI</th><th>Spec</th></tr></thead>
<tbody>{rows}</tbody></table>
<p class="muted">Seed {seed}; tenants: {tenants}. This page as JSON:
<code>curl -H 'Accept: application/json' {url}</code></p></section></main></body></html>
"""
_ROW = ('<tr><td>{title}</td><td><a href="{docs}">{docs}</a></td>'
        '<td><a href="{spec}">{spec}</a></td></tr>')
_USER_ROW = '<tr><td>{title}</td><td class="muted">none (user spec)</td><td>{file}</td></tr>'


def listing(runtime: Runtime) -> dict[str, Any]:
    services = [
        {
            "name": s.name,
            "title": s.title,
            "spec": f"/specs/{s.slug}.json",
            "docs": f"/docs/{s.slug}/",
            "paths": sorted(runtime.specs[s.name].get("paths", {})),
        }
        for s in runtime.catalog
        if s.name in runtime.specs
    ]
    return {
        "name": "specdouble",
        "version": __version__,
        "seed": runtime.settings.seed,
        "tenants": runtime.store.tenants(),
        "services": services + list(runtime.user_listing),
    }


def _quality(accept: str, media_type: str) -> float:
    """The q the Accept header gives ``media_type``: its most specific range's (RFC 9110)."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for item in accept.split(","):
        kind_range, *params = (part.strip() for part in item.split(";"))
        kind_range = kind_range.lower()
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(kind_range)
        if specificity is None or specificity < best[0]:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = (specificity, q)
    return best[1]


def wants_html(accept: str | None) -> bool:
    """True when the client ranks HTML above JSON; a tie (``*/*``, curl) stays JSON."""
    if not accept:
        return False
    return _quality(accept, "text/html") > _quality(accept, "application/json")


def _row(service: dict[str, Any]) -> str:
    if service["docs"] is None:  # a user spec (`serve --spec`): no Swagger UI of its own
        return _USER_ROW.format(title=html.escape(service["title"]),
                                file=html.escape(service["file"]))
    return _ROW.format(**{k: html.escape(str(service[k])) for k in ("title", "docs", "spec")})


def render_html(body: dict[str, Any], url: str) -> str:
    rows = "".join(_row(s) for s in body["services"])
    return _HTML.format(version=html.escape(body["version"]), rows=rows,
                        seed=html.escape(str(body["seed"])),
                        tenants=html.escape(", ".join(body["tenants"])), url=html.escape(url))


async def index(request: Request) -> Response:
    body = listing(get_runtime())
    vary = {"Vary": "Accept"}
    if wants_html(request.headers.get("accept")):
        return HTMLResponse(render_html(body, str(request.base_url)), headers=vary)
    return Response(orjson.dumps(body), media_type="application/json", headers=vary)
