"""``GET /``: the services this server mocks, with links to spec and docs."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from specdouble import __version__
from specdouble.world.runtime import get_runtime


async def index(request: Request) -> Response:
    runtime = get_runtime()
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
    body = {
        "name": "specdouble",
        "version": __version__,
        "seed": runtime.settings.seed,
        "tenants": runtime.store.tenants(),
        "services": services,
    }
    return Response(orjson.dumps(body), media_type="application/json")
