"""Building success responses: one JSON encoder, one place."""

from __future__ import annotations

from typing import Any

from connexion import context
from connexion.lifecycle import ConnexionResponse

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
    """The caller, as the security function resolved it."""
    return context.context["token_info"]["principal"]
