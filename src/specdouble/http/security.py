"""Token checks for the security schemes of the specs -> Principal.

Connexion calls these through ``x-tokenInfoFunc`` / ``x-bearerInfoFunc`` /
``x-basicInfoFunc``, which ``app.py`` injects into each spec. They raise
:class:`~specdouble.support.problems.Problem` with an auth kind; ``errors.py``
renders it in the owning service's shape.
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest

from specdouble.support.problems import Problem
from specdouble.world import auth
from specdouble.world.catalog import service_for_path
from specdouble.world.runtime import get_runtime

TENANT_MISMATCH_MESSAGE = "Tenant in the header is not matching with the one provided in the URI."


def _principal_info(principal: auth.Principal) -> dict[str, Any]:
    return {
        "sub": principal.client_id or principal.tenant,
        "scope": sorted(principal.scopes),
        "tenant": principal.tenant,
        "principal": principal,
    }


def emporix_token_info(
    token: str, required_scopes: list[str] | None = None, request: ConnexionRequest | None = None
) -> dict[str, Any]:
    """Resolve an Emporix bearer token, then check its tenant and scopes."""
    principal = get_runtime().tokens.resolve(auth.EMPORIX, token)
    if request is not None:
        tenant = request.path_params.get("tenant")
        if tenant is not None and tenant != principal.tenant:
            service = service_for_path(request.scope["path"])
            status = service.tenant_mismatch_status if service else 403
            if status == 400:
                raise Problem(400, TENANT_MISMATCH_MESSAGE, kind=auth.TENANT_MISMATCH,
                              details=[f"path.tenant: the token belongs to tenant "
                                       f"'{principal.tenant}', not '{tenant}'"])
            raise Problem(403, "Tenant validation failed", kind=auth.TENANT_MISMATCH,
                          details=[f"The token is not granted for tenant '{tenant}'"])
    missing = sorted(set(required_scopes or ()) - principal.scopes)
    if missing:
        raise Problem(403, "Scope validation failed", kind=auth.MISSING_SCOPE,
                      details=[f"Missing required scopes '[{', '.join(missing)}]'"])
    return _principal_info(principal)


def accept_scopes(required_scopes: Any, token_scopes: Any) -> bool:
    """Scopes are already checked in :func:`emporix_token_info` (with a better body)."""
    return True


def shopatron_bearer_info(token: str, request: ConnexionRequest | None = None) -> dict[str, Any]:
    """A Shopatron bearer token; an ``API-Key`` header must be the token's own client."""
    principal = get_runtime().tokens.resolve(auth.SHOPATRON, token)
    if request is not None:
        api_key = request.headers.get("API-Key")
        if api_key is not None and api_key != principal.client_id:
            raise Problem(403, "The API-Key header does not belong to the token's client.",
                          kind=auth.INVALID_CLIENT, details=["header.API-Key: does not match the "
                                                             "client the token was issued to"])
    return _principal_info(principal)


def shopatron_basic_info(username: str, password: str) -> dict[str, Any]:
    """Basic auth of the Shopatron token endpoint: API key and secret."""
    client = get_runtime().tokens.authenticate_client(auth.SHOPATRON, username, password)
    return {"sub": client.client_id, "client": client}


def principal_of(token_info: dict[str, Any]) -> auth.Principal:
    return token_info["principal"]


INFO_FUNCS = {
    "oauth2": {
        "x-tokenInfoFunc": f"{__name__}.emporix_token_info",
        "x-scopeValidateFunc": f"{__name__}.accept_scopes",
    },
    "bearer": {"x-bearerInfoFunc": f"{__name__}.shopatron_bearer_info"},
    "basic": {"x-basicInfoFunc": f"{__name__}.shopatron_basic_info"},
}


def inject_security_functions(spec: dict[str, Any]) -> None:
    """Point each security scheme of ``spec`` at the functions above."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        key = scheme.get("type")
        if key == "http":
            key = str(scheme.get("scheme", "")).lower()
        scheme.update(INFO_FUNCS.get(key, {}))
