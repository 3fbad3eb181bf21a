"""Shopatron (Kibo Fulfillment): Assign Order, its token endpoint, the OMS error shape.

Shopatron publishes no error body; ours carries the OMS codes of its
documentation (recorded in docs/spec-notes.md).
"""

from __future__ import annotations

from typing import Any

from specdouble.data.seeders import shopatron as shopatron_seeder
from specdouble.support.problems import Problem
from specdouble.world import auth
from specdouble.world.auth import Principal
from specdouble.world.catalog import Collection, Grant, Realm, Service, TokenCheck

REALM_NAME = "shopatron"
TOKEN_TTL = 3600

# OMS codes by HTTP status, and names by code.
_OMS_BY_STATUS = {400: 5003, 401: 5004, 403: 5004, 404: 5002, 405: 5005, 500: 5006, 503: 5001}
OMS_NAMES = {
    5000: "GENERIC_OK",
    5001: "GENERIC_UNAVAILABLE",
    5002: "GENERIC_NOT_FOUND",
    5003: "GENERIC_BAD_REQUEST",
    5004: "GENERIC_NOT_AUTHORIZED",
    5005: "GENERIC_NOT_ALLOWED",
    5006: "GENERIC_SERVER_ERROR",
    5010: "MISSING_QUERY_PARAM",
    5011: "MISSING_REQUEST_DATA",
    5012: "ID_MISMATCH",
    5013: "INVALID_ID",
    5014: "INVALID_QUERY_PARAM",
    5015: "INVALID_REQUEST_DATA",
}


def oms_error(problem: Problem) -> dict[str, Any]:
    code = problem.error_code or _OMS_BY_STATUS.get(
        problem.status, 5003 if problem.status < 500 else 5006
    )
    return {
        "status": problem.status,
        "code": code,
        "error": OMS_NAMES.get(code, "GENERIC_BAD_REQUEST"),
        "message": problem.message,
        "details": list(problem.details),
    }


def check_token(principal: Principal, check: TokenCheck) -> None:
    """An ``API-Key`` header, when sent, must be the token's own client."""
    api_key = check.headers.get("API-Key")
    if api_key is not None and api_key != principal.client_id:
        raise Problem(403, "The API-Key header does not belong to the token's client.",
                      kind=auth.INVALID_CLIENT, details=["header.API-Key: does not match the "
                                                         "client the token was issued to"])


def grant(tenant: str) -> Grant:
    """A created tenant's bearer token and API key pair."""
    token, api_key, secret = f"{tenant}-shopatron", f"{tenant}-api-key", f"{tenant}-api-secret"
    return Grant(
        answer={"shopatron": {"token": token, "apiKey": api_key, "apiSecret": secret}},
        tokens=((token, REALM_NAME, frozenset(), api_key),),
        clients=((api_key, REALM_NAME, secret, frozenset()),),
    )


REALM = Realm(REALM_NAME, TOKEN_TTL, grant=grant)

ORDERS = Service(
    name="shopatron",
    title="Shopatron Order API v2",
    spec_file="shopatron-order.yaml",
    prefixes=("/api/",),
    handlers="specdouble.http.handlers.shopatron",
    error_shape=oms_error,
    realm=REALM,
    check_token=check_token,
    seeder=shopatron_seeder.seed,
    collections=(
        Collection("shopatron.orders", "shopatron", "Order", "orderID"),
        Collection("shopatron.locations", "shopatron", "Location", "locationID"),
        Collection("shopatron.emails", "shopatron", "CustomerEmail", "emailID"),
    ),
    outbox="shopatron.emails",
)

OAUTH = Service(
    name="shopatron-oauth",
    title="Shopatron OAuth token endpoint",
    spec_file="shopatron-oauth.yaml",
    prefixes=("/oauthserver/",),
    handlers="specdouble.http.handlers.shopatron_oauth",
    error_shape=oms_error,
    realm=REALM,
)
