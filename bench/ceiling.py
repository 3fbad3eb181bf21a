"""A bare Starlette route under the same uvicorn settings: the physical limit.

It answers the read scenario's path with fixed bytes of the same size class,
without routing by spec, security, validation, state or journal, so its
requests/s is what this machine, uvicorn and Starlette allow at best. Run by
the bench as target ``starlette`` (``--targets specdouble,starlette``).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
