"""Tokens: static ones from fixtures, issued ones from the token endpoints.

Every realm (a family of tokens with its own token endpoint, named by the
service descriptors) shares the mechanism: clients with a secret, tokens
bound to a tenant, optional scopes. The registry is protocol-agnostic: it
answers Principals or raises Problems.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.support.clock import utc_now
from specdouble.support.problems import Problem

# Problem kinds the HTTP layer renders into each service's auth error shape.
MISSING_TOKEN = "missing_token"
INVALID_TOKEN = "invalid_token"
EXPIRED_TOKEN = "expired_token"
MISSING_SCOPE = "missing_scope"
TENANT_MISMATCH = "tenant_mismatch"
INVALID_CLIENT = "invalid_client"
INVALID_SCOPE = "invalid_scope"
UNSUPPORTED_GRANT = "unsupported_grant_type"


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


def _principal_json(principal: Principal) -> dict[str, Any]:
    return {"realm": principal.realm, "tenant": principal.tenant,
            "scopes": sorted(principal.scopes), "clientId": principal.client_id,
            "expiresAt": principal.expires_at.isoformat() if principal.expires_at else None}


def _principal(data: Mapping[str, Any]) -> Principal:
    expires = data.get("expiresAt")
    return Principal(data["realm"], data["tenant"], frozenset(data["scopes"]),
                     data.get("clientId"), datetime.fromisoformat(expires) if expires else None)


def _client_json(client: Client) -> dict[str, Any]:
    return {"clientId": client.client_id, "secret": client.secret, "tenant": client.tenant,
            "scopes": sorted(client.scopes)}


def _client(data: Mapping[str, Any]) -> Client:
    return Client(data["clientId"], data["secret"], data["tenant"], frozenset(data["scopes"]))


def _shared_tables(realms: Iterable[str]) -> list[str]:
    """The server-state tables of granted tokens, granted clients and issued tokens."""
    return [f"{kind}:{realm}" for realm in realms for kind in ("tokens", "clients", "issued")]


# Issued tokens are pruned once per this many issues (each prune reads them all).
PRUNE_EVERY = 256


@dataclass
class TokenRegistry:
    """Fixture tokens and clients, plus the granted and issued ones, which may be shared.

    The fixtures' tokens are the same in every worker and live in the process;
    tokens and clients granted at run time (tenants created on demand) and the
    tokens the endpoints issue live in ``shared``, so with a shared server
    state every worker accepts a token that any worker issued.
    """

    scopes: ScopeCatalog
    # Each realm's token lifetime in seconds (the realms the served services name).
    ttls: Mapping[str, int] = field(default_factory=dict)
    shared: ServerState = field(default_factory=MemoryServerState)
    clock: Callable[[], datetime] = utc_now
    _fixed_tokens: dict[tuple[str, str], Principal] = field(default_factory=dict)
    _fixed_clients: dict[tuple[str, str], Client] = field(default_factory=dict)

    @classmethod
    def from_fixtures(cls, auth: Mapping[str, Any], scopes: ScopeCatalog,
                      ttls: Mapping[str, int], shared: ServerState | None = None,
                      ) -> TokenRegistry:
        """The fixtures' sections named like a realm: its static tokens and clients."""
        registry = cls(scopes=scopes, ttls=dict(ttls), shared=shared or MemoryServerState())
        for realm in registry.ttls:
            section = auth.get(realm, {}) or {}
            for token, spec in (section.get("tokens") or {}).items():
                registry._fixed_tokens[(realm, token)] = Principal(
                    realm, spec["tenant"], scopes.expand(spec.get("scopes")), spec.get("client"))
            for client_id, spec in (section.get("clients") or {}).items():
                registry._fixed_clients[(realm, client_id)] = Client(
                    client_id, spec["secret"], spec["tenant"], scopes.expand(spec.get("scopes")))
        return registry

    def add_static_token(
        self, realm: str, token: str, tenant: str, scopes: Iterable[str] = (),
        client_id: str | None = None,
    ) -> None:
        """Grant a token that never expires (a tenant created on demand)."""
        principal = Principal(realm, tenant, frozenset(scopes), client_id)
        self.shared.put(f"tokens:{realm}", token, _principal_json(principal))

    def add_client(
        self, realm: str, client_id: str, secret: str, tenant: str, scopes: Iterable[str] = ()
    ) -> None:
        client = Client(client_id, secret, tenant, frozenset(scopes))
        self.shared.put(f"clients:{realm}", client_id, _client_json(client))

    def forget_granted(self) -> None:
        """Drop every granted and issued token and client; the fixtures' stay."""
        for table in _shared_tables(self.ttls):
            self.shared.clear(table)

    def remove_tenant(self, tenant: str) -> None:
        """Forget every granted or issued token and client bound to ``tenant``."""
        for table in _shared_tables(self.ttls):
            for key, value in self.shared.items(table).items():
                if value["tenant"] == tenant:
                    self.shared.delete(table, key)

    def client(self, realm: str, client_id: str) -> Client | None:
        client = self._fixed_clients.get((realm, client_id))
        if client is None:
            found = self.shared.get(f"clients:{realm}", client_id)
            client = None if found is None else _client(found)
        return client

    def authenticate_client(self, realm: str, client_id: str, secret: str) -> Client:
        client = self.client(realm, client_id)
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
        lifetime = ttl if ttl is not None else self.ttls[realm]
        expires_at = self.clock() + timedelta(seconds=lifetime)
        principal = Principal(realm, client.tenant, granted, client.client_id, expires_at)
        token = secrets.token_urlsafe(24)
        self.shared.put(f"issued:{realm}", token, _principal_json(principal))
        if self.shared.add("issued") % PRUNE_EVERY == 0:
            self._prune(realm)
        return IssuedToken(token, principal, lifetime)

    def resolve(self, realm: str, token: str | None) -> Principal:
        """The Principal behind ``token``, or a 401 Problem saying why not."""
        if not token:
            raise Problem(401, "No authorization token provided.", kind=MISSING_TOKEN)
        principal = self._fixed_tokens.get((realm, token))
        if principal is None:
            found = (self.shared.get(f"tokens:{realm}", token)
                     or self.shared.get(f"issued:{realm}", token))
            principal = None if found is None else _principal(found)
        if principal is None:
            raise Problem(401, "Invalid access token", kind=INVALID_TOKEN)
        if principal.expires_at is not None and principal.expires_at <= self.clock():
            raise Problem(401, "Access Token expired", kind=EXPIRED_TOKEN)
        return principal

    def _prune(self, realm: str) -> None:
        """Forget tokens expired for a day, so a long run does not grow without bound.

        Recently expired ones are kept so their callers get "expired", not "invalid".
        """
        horizon = (self.clock() - timedelta(days=1)).isoformat()
        table = f"issued:{realm}"
        for token, found in self.shared.items(table).items():
            # Both sides are ISO-8601 in UTC, so they order as text.
            if found["expiresAt"] and found["expiresAt"] <= horizon:
                self.shared.delete(table, token)
