"""Tokens: static ones from fixtures, issued ones from the token endpoints.

Two realms share the mechanism: ``emporix`` (client id/secret, scopes,
tenant-bound) and ``shopatron`` (API key/secret, tenant-bound, no scopes).
The registry is protocol-agnostic: it answers Principals or raises Problems.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from specdouble.clock import utc_now
from specdouble.problems import Problem

EMPORIX = "emporix"
SHOPATRON = "shopatron"

# Problem kinds the HTTP layer renders into each service's auth error shape.
MISSING_TOKEN = "missing_token"
INVALID_TOKEN = "invalid_token"
EXPIRED_TOKEN = "expired_token"
MISSING_SCOPE = "missing_scope"
TENANT_MISMATCH = "tenant_mismatch"
INVALID_CLIENT = "invalid_client"
INVALID_SCOPE = "invalid_scope"
UNSUPPORTED_GRANT = "unsupported_grant_type"

EMPORIX_TTL = 14399
SHOPATRON_TTL = 3600


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant the token is bound to and what it may do."""

    realm: str
    tenant: str
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    tenant: str
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    principal: Principal
    expires_in: int


@dataclass
class ScopeCatalog:
    """The scopes that exist, so fixtures can say ``all`` or ``view``."""

    all: frozenset[str] = frozenset()

    @property
    def view(self) -> frozenset[str]:
        return frozenset(s for s in self.all if s.endswith(("_view", "_read")))

    def expand(self, spec: Any) -> frozenset[str]:
        if spec == "all":
            return self.all
        if spec == "view":
            return self.view
        if spec is None:
            return frozenset()
        return frozenset(spec)


@dataclass
class TokenRegistry:
    """Static and issued tokens of one server; issued tokens expire."""

    scopes: ScopeCatalog
    clock: Callable[[], datetime] = utc_now
    _static: dict[tuple[str, str], Principal] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Client] = field(default_factory=dict)
    _issued: dict[tuple[str, str], Principal] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_fixtures(cls, auth: Mapping[str, Any], scopes: ScopeCatalog) -> TokenRegistry:
        registry = cls(scopes=scopes)
        for realm in (EMPORIX, SHOPATRON):
            section = auth.get(realm, {}) or {}
            for token, spec in (section.get("tokens") or {}).items():
                registry.add_static_token(
                    realm, token, spec["tenant"], scopes.expand(spec.get("scopes")),
                    spec.get("client"),
                )
            for client_id, spec in (section.get("clients") or {}).items():
                registry.add_client(
                    realm, client_id, spec["secret"], spec["tenant"],
                    scopes.expand(spec.get("scopes")),
                )
        return registry

    def add_static_token(
        self, realm: str, token: str, tenant: str, scopes: Iterable[str] = (),
        client_id: str | None = None,
    ) -> None:
        self._static[(realm, token)] = Principal(realm, tenant, frozenset(scopes), client_id)

    def add_client(
        self, realm: str, client_id: str, secret: str, tenant: str, scopes: Iterable[str] = ()
    ) -> None:
        self._clients[(realm, client_id)] = Client(client_id, secret, tenant, frozenset(scopes))

    def remove_tenant(self, tenant: str) -> None:
        """Forget every token and client bound to ``tenant``."""
        with self._lock:
            for table in (self._static, self._clients, self._issued):
                for key in [k for k, v in table.items() if v.tenant == tenant]:
                    del table[key]

    def client(self, realm: str, client_id: str) -> Client | None:
        return self._clients.get((realm, client_id))

    def tokens_of(self, realm: str, tenant: str) -> dict[str, Principal]:
        return {tok: p for (r, tok), p in self._static.items() if r == realm and p.tenant == tenant}

    def authenticate_client(self, realm: str, client_id: str, secret: str) -> Client:
        client = self._clients.get((realm, client_id))
        # Bytes, not str: compare_digest refuses non-ASCII str (a TypeError, i.e. a 500).
        if client is None or not secrets.compare_digest(
                client.secret.encode("utf-8", "surrogatepass"),
                secret.encode("utf-8", "surrogatepass")):
            raise Problem(401, "Client authentication failed.", kind=INVALID_CLIENT)
        return client

    def issue(
        self, realm: str, client: Client, requested: Iterable[str] | None = None,
        ttl: int | None = None,
    ) -> IssuedToken:
        """A new bearer token for ``client``; ``requested`` narrows its scopes.

        ``tenant=<name>`` entries in ``requested`` must name the client's own tenant.
        """
        granted = client.scopes
        if requested is not None:
            wanted = set()
            for item in requested:
                if item.startswith("tenant="):
                    if item.removeprefix("tenant=") != client.tenant:
                        raise Problem(
                            400, "The scope names another tenant.", kind=INVALID_SCOPE,
                            details=[f"body.scope: client '{client.client_id}' belongs to "
                                     f"tenant '{client.tenant}', not '{item[7:]}'"],
                        )
                    continue
                wanted.add(item)
            unknown = sorted(wanted - client.scopes)
            if unknown:
                raise Problem(
                    400, "The scope asks for more than the client is granted.",
                    kind=INVALID_SCOPE,
                    details=[f"body.scope: scope {name!r} is not granted to client "
                             f"'{client.client_id}'" for name in unknown],
                )
            if wanted:
                granted = frozenset(wanted)
        lifetime = ttl if ttl is not None else (EMPORIX_TTL if realm == EMPORIX else SHOPATRON_TTL)
        expires_at = self.clock() + timedelta(seconds=lifetime)
        principal = Principal(realm, client.tenant, granted, client.client_id, expires_at)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._prune()
            self._issued[(realm, token)] = principal
        return IssuedToken(token, principal, lifetime)

    def resolve(self, realm: str, token: str | None) -> Principal:
        """The Principal behind ``token``, or a 401 Problem saying why not."""
        if not token:
            raise Problem(401, "No authorization token provided.", kind=MISSING_TOKEN)
        principal = self._static.get((realm, token)) or self._issued.get((realm, token))
        if principal is None:
            raise Problem(401, "Invalid access token", kind=INVALID_TOKEN)
        if principal.expires_at is not None and principal.expires_at <= self.clock():
            raise Problem(401, "Access Token expired", kind=EXPIRED_TOKEN)
        return principal

    def _prune(self) -> None:
        """Forget tokens expired for a day, so a long run does not grow without bound.

        Recently expired ones are kept so their callers get "expired", not "invalid".
        """
        horizon = self.clock() - timedelta(days=1)
        for key in [k for k, p in self._issued.items() if p.expires_at and p.expires_at <= horizon]:
            del self._issued[key]
