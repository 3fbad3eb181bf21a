"""Ceilings under the same uvicorn settings: bare Starlette, and bare Connexion.

``starlette``: one route answering the read scenario's path with fixed bytes
of the same size, no spec routing, security, validation, state or journal:
what this machine, uvicorn and Starlette allow at best.
``connexion``: a Connexion AsyncApp with a one-operation spec (the same path,
``tenant`` and ``pageSize`` validated, no security) whose async handler
returns the same bytes: what Connexion's middleware stack costs before any
of specdouble's code runs. Targets ``starlette`` and ``connexion`` of the
bench (``--targets specdouble,starlette,connexion``).
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

EVENT = (
    b'{"eventId":"evt-0001","productId":"123","deliveryCycle":"2023-10-13-11-test",'
    b'"orderNumber":"123","timestamp":"2020-09-14T13:35:18.333Z","pickedAmount":2,'
    b'"packedAmount":2,"canceledAmount":0,"packedAmountInPc":2,"supplierId":"1234",'
    b'"user":"1234","site":"main","unit":"H87","bookProduct":true}'
)
BODY = b"[" + b",".join([EVENT] * 20) + b"]"


async def events(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/pick-pack/{tenant}/events", events)])

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "ceiling", "version": "1"},
    "paths": {"/pick-pack/{tenant}/events": {"get": {
        "operationId": "bench.ceiling.list_events",
        "parameters": [
            {"name": "tenant", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1}},
            {"name": "pageSize", "in": "query", "schema": {
                "type": "integer", "format": "int32", "minimum": 0, "maximum": 20000}},
        ],
        "responses": {"200": {"description": "events", "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}},
    }}},
}


async def list_events(tenant: str, page_size: int = 20) -> Response:
    return Response(BODY, media_type="application/json")


def connexion_app() -> object:
    from connexion import AsyncApp

    capp = AsyncApp(__name__)
    capp.add_api(SPEC, pythonic_params=True)
    return capp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--framework", choices=("starlette", "connexion"), default="starlette")
    args = parser.parse_args()
    target = connexion_app() if args.framework == "connexion" else app
    uvicorn.run(target, host="127.0.0.1", port=args.port, log_level="warning",  # type: ignore[arg-type]
                access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
