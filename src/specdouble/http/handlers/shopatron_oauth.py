"""Shopatron ``POST /oauthserver/oauth2/token``: API key and secret -> bearer token.

The Basic credentials are checked by the security function (``basic``
scheme) before this runs; the form's ``grant_type`` by the spec.
"""

from __future__ import annotations

from typing import Any

from connexion import context
from connexion.lifecycle import ConnexionResponse

from specdouble.http.respond import json_response
from specdouble.services.shopatron import REALM_NAME as SHOPATRON
from specdouble.world.runtime import get_runtime


async def issue_shopatron_token(body: dict[str, Any]) -> ConnexionResponse:
    client = context.context["token_info"]["client"]
    issued = get_runtime().tokens.issue(SHOPATRON, client)
    return json_response(
        {"access_token": issued.access_token, "token_type": "Bearer",
         "expires_in": issued.expires_in},
        headers={"Cache-Control": "no-store"},
    )
