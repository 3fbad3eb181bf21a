"""Emporix ``POST /oauth/token``: client credentials -> opaque bearer token.

The client may authenticate with ``client_id``/``client_secret`` in the form
or with HTTP Basic (RFC 6749 section 2.3.1, which token endpoints must
support): Swagger UI's "Authorize" and most OAuth libraries send Basic.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from connexion import request as current_request
from connexion.lifecycle import ConnexionResponse

from specdouble.http.respond import json_response
from specdouble.services.emporix import REALM_NAME as EMPORIX
from specdouble.support.problems import Problem
from specdouble.world.runtime import get_runtime

_INVALID_FORM = "The request form is invalid."


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from ``Authorization: Basic ...``, if sent."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Problem(400, "The Basic client credentials are malformed.",
                      ["header.Authorization: not base64 of 'client_id:client_secret'"]) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise Problem(400, "The Basic client credentials are malformed.",
                      ["header.Authorization: not base64 of 'client_id:client_secret'"])
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)


def _credentials(body: dict[str, Any]) -> tuple[str, str]:
    basic = _basic_credentials(current_request.headers.get("Authorization"))
    in_form = "client_id" in body or "client_secret" in body
    if basic is not None and in_form:
        raise Problem(400, _INVALID_FORM, ["body.client_id: client credentials come either in "
                                           "the form or in HTTP Basic, not both"])
    if basic is not None:
        return basic
    missing = [f"body.{name}: is required" for name in ("client_id", "client_secret")
               if name not in body]
    if missing:
        raise Problem(400, _INVALID_FORM, missing)
    return body["client_id"], body["client_secret"]


async def issue_token(body: dict[str, Any]) -> ConnexionResponse:
    tokens = get_runtime().tokens
    client = tokens.authenticate_client(EMPORIX, *_credentials(body))
    requested = body.get("scope")
    issued = tokens.issue(EMPORIX, client, requested.split() if requested else None)
    scope = " ".join([f"tenant={client.tenant}", *sorted(issued.principal.scopes)])
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "session_idle_time": 120,
            "refresh_token": "",
            "refresh_token_expires_in": 0,
            "scope": scope,
        },
        headers={"Cache-Control": "no-store"},
    )
