"""Emporix ``POST /oauth/token``: client credentials -> opaque bearer token."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionResponse

from specdouble.domain.auth import EMPORIX
from specdouble.http.respond import json_response
from specdouble.http.runtime import get_runtime


async def issue_token(body: dict[str, Any]) -> ConnexionResponse:
    tokens = get_runtime().tokens
    client = tokens.authenticate_client(EMPORIX, body["client_id"], body["client_secret"])
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
