"""What a served service is, generically, and the catalog that finds one by path.

A :class:`Service` descriptor owns everything specific to one service: its
spec, handlers, seeder, error shape, token realm and checks, the record
collections it keeps, its outbox, the credentials a created tenant gets. The
concrete descriptors of the built-in services live in ``specdouble.services``;
a user's spec becomes a descriptor with none of the vendor parts, so code
here and in the layers above asks the descriptor and names no vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from specdouble.data.seeding import Seeder
from specdouble.support.problems import Problem
from specdouble.world.auth import Principal

ErrorShape = Callable[[Problem], dict[str, Any]]


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_details(problem: Problem) -> dict[str, Any]:
    """The neutral shape (RFC 9457 members), for services that document none of their own."""
    body: dict[str, Any] = {"type": "about:blank", "title": reason_phrase(problem.status),
                            "status": problem.status, "detail": problem.message}
    if problem.details:
        body["details"] = list(problem.details)
    return body


@dataclass(frozen=True)
class TokenCheck:
    """What an operation's security asks of a resolved token, beyond its realm."""

    required_scopes: tuple[str, ...]
    path_params: Mapping[str, Any]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Grant:
    """Credentials a realm gives a tenant created on demand (derived from its name)."""

    answer: dict[str, Any]  # the part of the creation answer that shows them
    tokens: tuple[tuple[str, str, frozenset[str] | str, str | None], ...] = ()
    # (token, realm, scopes or "all"/"view", client id)
    clients: tuple[tuple[str, str, str, frozenset[str] | str], ...] = ()
    # (client id, realm, secret, scopes or "all"/"view")


@dataclass(frozen=True)
class Realm:
    """A family of tokens: one token endpoint, one lifetime, one way to check them."""

    name: str
    token_ttl: int
    # The WWW-Authenticate header of a 401, if the realm sends one.
    www_authenticate: str | None = None
    # The credentials of a tenant created on demand.
    grant: Callable[[str], Grant] | None = None


@dataclass(frozen=True)
class Collection:
    """A record collection a service keeps, and the schema its records follow."""

    name: str
    schema_service: str  # whose spec holds the schema (the admin spec for internal ones)
    schema: str
    id_field: str


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    spec_file: str
    prefixes: tuple[str, ...]
    # "module" whose functions answer the operationIds; None: generic behaviour.
    handlers: str | None = None
    error_shape: ErrorShape = problem_details
    realm: Realm | None = None
    # Per-request checks of a resolved token (tenant binding, scopes, key headers).
    check_token: Callable[[Principal, TokenCheck], None] | None = None
    seeder: Seeder | None = None
    collections: tuple[Collection, ...] = ()
    # The collection QA reads as the service's outbox (mails recorded instead of sent).
    outbox: str | None = None
    # Admin-only internals (its spec is not mocked traffic).
    internal: bool = False

    @property
    def slug(self) -> str:
        return self.spec_file.removesuffix(".yaml")


class Catalog:
    """The services one server serves, found by name or by the path they own."""

    def __init__(self, services: Iterable[Service], fallback: str | None = None) -> None:
        self.services: tuple[Service, ...] = tuple(services)
        self.by_name = {s.name: s for s in self.services}
        # The shape of errors on paths no service owns.
        self.fallback = self.by_name.get(fallback) if fallback else None
        self.for_path = lru_cache(maxsize=4096)(self._for_path)

    def __iter__(self) -> Any:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def _for_path(self, path: str) -> Service | None:
        for service in self.services:
            if path.startswith(service.prefixes):
                return service
        return None

    def shape_for_path(self, path: str) -> Service | None:
        """The service whose error shape a request to ``path`` gets."""
        return self.for_path(path) or self.fallback

    def realms(self) -> list[Realm]:
        seen: dict[str, Realm] = {}
        for service in self.services:
            if service.realm is not None:
                seen.setdefault(service.realm.name, service.realm)
        return list(seen.values())

    def collections(self) -> dict[str, Collection]:
        return {c.name: c for s in self.services for c in s.collections}

    def seeders(self) -> dict[str, Seeder]:
        return {s.name: s.seeder for s in self.services if s.seeder is not None}

    def outboxes(self) -> list[str]:
        return [s.outbox for s in self.services if s.outbox]
