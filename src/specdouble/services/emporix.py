"""Emporix: one token realm and the error shapes its services share.

Pick-pack, Customer Management and the token endpoint all speak Apigee's
401 ``fault`` and the scope 403 body; each adds its own body for the rest.
"""

from __future__ import annotations

from typing import Any

from specdouble.data.seeders import contacts as contacts_seeder
from specdouble.data.seeders import pickpack as pickpack_seeder
from specdouble.support.problems import Problem
from specdouble.world import auth
from specdouble.world.auth import Principal
from specdouble.world.catalog import Collection, Grant, Realm, Service, TokenCheck, reason_phrase

REALM_NAME = "emporix"
TOKEN_TTL = 14399
TENANT_MISMATCH_MESSAGE = "Tenant in the header is not matching with the one provided in the URI."

# Pick-pack ``errorMessage.message`` is a lower-case classification.
_CLASSIFICATION = {
    400: "validation_failure",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "service_unavailable",
}

_OAUTH_ERRORS = {400: "invalid_request", 401: "invalid_client", 413: "invalid_request",
                 415: "invalid_request", 500: "server_error"}


def with_details(problem: Problem) -> str:
    """One sentence of text: the message, then each detail, so the two never run together.

    Messages such as "Malformed JSON at line 2, column 5: Expecting value" end without
    a full stop; without one the first detail would read as part of the message.
    """
    text = problem.message
    if not problem.details:
        return text
    if not text.endswith((".", "!", "?", ":")):
        text += "."
    return f"{text} " + "; ".join(problem.details)


def _auth_body(problem: Problem) -> dict[str, Any] | None:
    """The Apigee fault (401) and the scope body (403) shared by all Emporix services."""
    if problem.status == 401:
        if problem.kind == auth.EXPIRED_TOKEN:
            text, code = "Access Token expired", "keymanagement.service.access_token_expired"
        else:
            text, code = "Invalid access token", "oauth.v2.InvalidAccessToken"
        return {"fault": {"faultstring": text, "detail": {"errorcode": code}}}
    if problem.status == 403:
        return {
            "code": 403,
            "status": "Forbidden",
            "message": problem.message,
            "details": list(problem.details),
        }
    return None


def pickpack_error(problem: Problem) -> dict[str, Any]:
    body = _auth_body(problem)
    if body is not None:
        return body
    kind = problem.kind if problem.kind in _CLASSIFICATION.values() else None
    return {
        "code": problem.status,
        "message": kind or _CLASSIFICATION.get(problem.status, "error"),
        "detailInfo": with_details(problem),
    }


def emporix_error(problem: Problem) -> dict[str, Any]:
    body = _auth_body(problem)
    if body is not None:
        return body
    body = {
        "code": problem.status,
        "status": reason_phrase(problem.status),
        "message": problem.message,
        "details": list(problem.details),
    }
    if problem.resource_id is not None:
        body["resourceId"] = problem.resource_id
    return body


def oauth_error(problem: Problem) -> dict[str, Any]:
    """RFC 6749 section 5.2 (the real endpoint documents no error body)."""
    if problem.kind in {auth.INVALID_CLIENT, auth.INVALID_SCOPE, auth.UNSUPPORTED_GRANT}:
        error = str(problem.kind)
    elif any(d.startswith("body.grant_type:") and not d.endswith(": is required")
             for d in problem.details):
        error = auth.UNSUPPORTED_GRANT  # a missing grant_type is invalid_request (RFC 6749 5.2)
    else:
        error = _OAUTH_ERRORS.get(problem.status, "invalid_request")
    return {"error": error, "error_description": with_details(problem)}


def _check_scopes(principal: Principal, check: TokenCheck) -> None:
    missing = sorted(set(check.required_scopes) - principal.scopes)
    if missing:
        raise Problem(403, "Scope validation failed", kind=auth.MISSING_SCOPE,
                      details=[f"Missing required scopes '[{', '.join(missing)}]'"])


def _other_tenant(principal: Principal, check: TokenCheck) -> str | None:
    tenant = check.path_params.get("tenant")
    return tenant if tenant is not None and tenant != principal.tenant else None


def check_pickpack_token(principal: Principal, check: TokenCheck) -> None:
    """A token of another tenant is a 403 in the scope shape, then the scopes."""
    tenant = _other_tenant(principal, check)
    if tenant is not None:
        raise Problem(403, "Tenant validation failed", kind=auth.TENANT_MISMATCH,
                      details=[f"The token is not granted for tenant '{tenant}'"])
    _check_scopes(principal, check)


def check_customer_management_token(principal: Principal, check: TokenCheck) -> None:
    """A token of another tenant is Customer Management's documented 400, then the scopes."""
    tenant = _other_tenant(principal, check)
    if tenant is not None:
        raise Problem(400, TENANT_MISMATCH_MESSAGE, kind=auth.TENANT_MISMATCH,
                      details=[f"path.tenant: the token belongs to tenant "
                               f"'{principal.tenant}', not '{tenant}'"])
    _check_scopes(principal, check)


def grant(tenant: str) -> Grant:
    """A created tenant's tokens (all and view scopes) and OAuth client."""
    all_token, view_token = f"{tenant}-all", f"{tenant}-view"
    client_id, secret = f"{tenant}-client", f"{tenant}-secret"
    return Grant(
        answer={"tokens": {"all": all_token, "view": view_token},
                "client": {"clientId": client_id, "clientSecret": secret}},
        tokens=((all_token, REALM_NAME, "all", None), (view_token, REALM_NAME, "view", None)),
        clients=((client_id, REALM_NAME, secret, "all"),),
    )


REALM = Realm(REALM_NAME, TOKEN_TTL, www_authenticate=f'Bearer realm="{REALM_NAME}"',
              grant=grant)

PICKPACK = Service(
    name="pickpack",
    title="Emporix Pick-pack",
    spec_file="emporix-pick-pack.yaml",
    prefixes=("/pick-pack/",),
    handlers="specdouble.http.handlers.pickpack",
    error_shape=pickpack_error,
    realm=REALM,
    check_token=check_pickpack_token,
    seeder=pickpack_seeder.seed,
    collections=(
        # Orders no API exposes: their schema is in the admin spec.
        Collection("pickpack.orders", "admin", "PickpackOrderRecord", "orderId"),
        Collection("pickpack.events", "pickpack", "eventResponse", "eventId"),
        Collection("pickpack.jobs", "pickpack", "job", "id"),
    ),
)

CUSTOMER_MANAGEMENT = Service(
    name="customer-management",
    title="Emporix Customer Management",
    spec_file="emporix-customer-management.yaml",
    prefixes=("/customer-management/",),
    handlers="specdouble.http.handlers.customer_management",
    error_shape=emporix_error,
    realm=REALM,
    check_token=check_customer_management_token,
    seeder=contacts_seeder.seed,
    collections=(
        Collection("cm.legalEntities", "customer-management", "LegalEntity", "id"),
        Collection("cm.customers", "customer-management", "Customer", "id"),
        Collection("cm.contactAssignments", "customer-management", "ContactAssignment", "id"),
    ),
)

OAUTH = Service(
    name="emporix-oauth",
    title="Emporix OAuth token endpoint",
    spec_file="emporix-oauth.yaml",
    prefixes=("/oauth/",),
    handlers="specdouble.http.handlers.emporix_oauth",
    error_shape=oauth_error,
    realm=REALM,
)
