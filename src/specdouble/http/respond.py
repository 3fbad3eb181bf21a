"""Building success responses: one JSON encoder, one place."""

from __future__ import annotations

from typing import Any

from connexion import context
from connexion import request as current_request
from connexion.lifecycle import ConnexionResponse

from specdouble.engine.call import current_call
from specdouble.support.jsonparse import dumps
from specdouble.world.auth import Principal

JSON = "application/json"


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=status, body=dumps(body), mimetype=JSON,
        content_type=JSON, headers=headers or {},
    )


def no_content(headers: dict[str, str] | None = None) -> ConnexionResponse:
    return ConnexionResponse(status_code=204, body=b"", headers=headers or {})


def principal() -> Principal:
    """The caller, as the security function (or the compiled path) resolved it."""
    call = current_call.get()
    if call is not None and call.principal is not None:
        return call.principal
    return context.context["token_info"]["principal"]


def header(name: str, default: str | None = None) -> str | None:
    """A request header, on either request path (the first value; any case)."""
    call = current_call.get()
    if call is not None:
        return call.headers.get(name, default)
    return current_request.headers.get(name, default)
