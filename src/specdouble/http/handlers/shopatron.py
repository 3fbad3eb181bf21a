"""Shopatron Order API v2 handlers: parse the request, call the domain, respond.

Shopatron paths carry no tenant: the orders are those of the tenant the
bearer token is bound to.
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionResponse

from specdouble.domain import shopatron
from specdouble.http.respond import json_response, principal
from specdouble.support.clock import utc_now
from specdouble.world.runtime import get_runtime


async def assign_order(body: dict[str, Any]) -> ConnexionResponse:
    order = shopatron.assign_order(get_runtime().store, principal().tenant, body, now=utc_now())
    return json_response(order)
