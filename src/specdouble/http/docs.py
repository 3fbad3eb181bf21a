"""Each service's resolved spec as JSON, and Swagger UI to browse and try it.

Connexion's own Swagger UI serves only one API per base path, and every
spec here is mounted at "", so the server serves specs and the UI itself,
using the assets of the ``swagger-ui-bundle`` package.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from specdouble.world.catalog import Service
from specdouble.world.runtime import get_runtime

try:
    from swagger_ui_bundle import swagger_ui_path as _ASSETS
except ImportError:  # pragma: no cover - the dependency is declared
    _ASSETS = None

_ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - specdouble</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: {spec_url}, dom_id: "#swagger-ui", deepLinking: true}});
</script></body></html>
"""


def _by_slug(slug: str) -> Service | None:
    """The served service whose spec is published as ``slug``."""
    runtime = get_runtime()
    return next((s for s in runtime.catalog if s.slug == slug and s.name in runtime.specs), None)


def _not_found(what: str) -> Response:
    body = {"code": 404, "status": "Not Found", "message": f"No {what} here.", "details": []}
    return Response(orjson.dumps(body), status_code=404, media_type="application/json")


def _local_token_urls(schemes: dict, base_url: str) -> dict:
    """OAuth2 schemes whose token URLs point at this mock's token endpoint.

    The specs name the vendor's real token URL; left as is, Swagger UI's
    "Authorize" would ask the real vendor (or fail on CORS) for a token the
    mock does not know.
    """
    out = {}
    for key, scheme in schemes.items():
        if isinstance(scheme, dict) and scheme.get("type") == "oauth2":
            flows = {}
            for flow_name, flow in scheme.get("flows", {}).items():
                flow = dict(flow)
                for field in ("tokenUrl", "refreshUrl", "authorizationUrl"):
                    if isinstance(flow.get(field), str):
                        flow[field] = base_url + (urlsplit(flow[field]).path or "/")
                flows[flow_name] = flow
            scheme = {**scheme, "flows": flows}
        out[key] = scheme
    return out


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _with_example(parameters: object, name: str, example: str) -> object:
    """``parameters`` with ``example`` on the path parameter ``name`` that has none."""
    if not isinstance(parameters, list):
        return parameters
    return [
        {**p, "example": example}
        if isinstance(p, dict) and p.get("in") == "path" and p.get("name") == name
        and "example" not in p and "examples" not in p else p
        for p in parameters
    ]


def _tenant_examples(paths: dict, tenant: str) -> dict:
    """Every ``{tenant}`` path parameter with ``tenant`` as its example (copies, not edits).

    Swagger UI fills "Try it out" from the example: with one, the first try
    reaches a tenant that exists instead of failing on an empty field.
    """
    out = {}
    for path, item in paths.items():
        if not isinstance(item, dict) or "{tenant}" not in path:
            out[path] = item
            continue
        item = dict(item)
        for key in ("parameters", *_METHODS):
            part = item.get(key)
            if key == "parameters":
                item[key] = _with_example(part, "tenant", tenant)
            elif isinstance(part, dict) and "parameters" in part:
                item[key] = {**part, "parameters": _with_example(part["parameters"], "tenant",
                                                                 tenant)}
        out[path] = {k: v for k, v in item.items() if v is not None}
    return out


def served_spec(name: str, base_url: str) -> dict:
    """The resolved spec as Swagger UI should try it: against this mock, on a real tenant.

    This mock is the first server (listed once); token URLs point at it; ``{tenant}``
    has the first fixture tenant (``acme`` by default) as its example.
    """
    runtime = get_runtime()
    spec = dict(runtime.specs[name])
    others = [s for s in spec.get("servers", [])
              if not (isinstance(s, dict) and str(s.get("url", "")).rstrip("/") == base_url)]
    spec["servers"] = [{"url": base_url, "description": "this mock"}, *others]
    if runtime.fixtures.tenants and isinstance(spec.get("paths"), dict):
        spec["paths"] = _tenant_examples(spec["paths"], runtime.fixtures.tenants[0])
    components = spec.get("components")
    if isinstance(components, dict) and isinstance(components.get("securitySchemes"), dict):
        schemes = _local_token_urls(components["securitySchemes"], base_url)
        spec["components"] = {**components, "securitySchemes": schemes}
    return spec


async def spec_json(request: Request) -> Response:
    service = _by_slug(request.path_params["slug"])
    if service is None:
        return _not_found("such spec")
    base_url = str(request.base_url).rstrip("/")
    return Response(orjson.dumps(served_spec(service.name, base_url)),
                    media_type="application/json")


async def swagger_ui(request: Request) -> Response:
    slug = request.path_params["slug"]
    service = _by_slug(slug)
    if service is None:
        return _not_found("such documentation")
    title = service.title
    page = _PAGE.format(title=html.escape(title), spec_url=orjson.dumps(f"/specs/{slug}.json")
                        .decode())
    return HTMLResponse(page)


async def swagger_asset(request: Request) -> Response:
    name = request.path_params["name"]
    if _ASSETS is None or "/" in name or name.startswith("."):
        return _not_found("such file")
    path = Path(_ASSETS) / name
    if path.suffix not in _ASSET_TYPES or not path.is_file():
        return _not_found("such file")
    return FileResponse(path, media_type=_ASSET_TYPES[path.suffix])
