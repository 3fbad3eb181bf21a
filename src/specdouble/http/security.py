"""Token checks for the security schemes of the specs -> Principal.

Connexion calls these through ``x-tokenInfoFunc`` / ``x-bearerInfoFunc`` /
``x-basicInfoFunc``, which ``app.py`` injects into each spec. Which realm a
token belongs to and what else is checked (tenant binding, scopes, key
headers) is asked of the descriptor of the service that owns the path, so a
second OAuth2 service is checked by its own rules. They raise
:class:`~specdouble.support.problems.Problem` with an auth kind; ``errors.py``
renders it in the owning service's shape.
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest

from specdouble.support.problems import Problem
from specdouble.world import auth
from specdouble.world.catalog import Service, TokenCheck
from specdouble.world.runtime import get_runtime


def _principal_info(principal: auth.Principal) -> dict[str, Any]:
    return {
        "sub": principal.client_id or principal.tenant,
        "scope": sorted(principal.scopes),
        "tenant": principal.tenant,
        "principal": principal,
    }


def _service(request: ConnexionRequest | None) -> Service:
    if request is None:
        raise Problem(500, "A security check ran outside a request.")
    service = get_runtime().catalog.for_path(request.scope["path"])
    if service is None or service.realm is None:
        raise Problem(401, "No token realm serves this path.", kind=auth.INVALID_TOKEN)
    return service


def bearer_info(
    token: str, required_scopes: list[str] | None = None, request: ConnexionRequest | None = None
) -> dict[str, Any]:
    """Resolve a bearer token in the realm of the path's service, then its checks."""
    service = _service(request)
    assert service.realm is not None and request is not None
    principal = get_runtime().tokens.resolve(service.realm.name, token)
    if service.check_token is not None:
        service.check_token(principal, TokenCheck(tuple(required_scopes or ()),
                                                  dict(request.path_params), request.headers))
    return _principal_info(principal)


def accept_scopes(required_scopes: Any, token_scopes: Any) -> bool:
    """Scopes are already checked by the service's token check (with a better body)."""
    return True


def basic_info(username: str, password: str, request: ConnexionRequest | None = None,
               ) -> dict[str, Any]:
    """HTTP Basic client authentication (a token endpoint): client id and secret."""
    service = _service(request)
    assert service.realm is not None
    client = get_runtime().tokens.authenticate_client(service.realm.name, username, password)
    return {"sub": client.client_id, "client": client}


def principal_of(token_info: dict[str, Any]) -> auth.Principal:
    return token_info["principal"]


INFO_FUNCS = {
    "oauth2": {
        "x-tokenInfoFunc": f"{__name__}.bearer_info",
        "x-scopeValidateFunc": f"{__name__}.accept_scopes",
    },
    "bearer": {"x-bearerInfoFunc": f"{__name__}.bearer_info"},
    "basic": {"x-basicInfoFunc": f"{__name__}.basic_info"},
}


def inject_security_functions(spec: dict[str, Any]) -> None:
    """Point each security scheme of ``spec`` at the functions above."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        key = scheme.get("type")
        if key == "http":
            key = str(scheme.get("scheme", "")).lower()
        scheme.update(INFO_FUNCS.get(key, {}))
