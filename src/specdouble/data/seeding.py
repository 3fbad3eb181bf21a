"""Seeding: turn (seed, tenant, fixtures) into a tenant's initial state.

Each service contributes a :data:`Seeder`. A seeder gets a
:class:`SeedContext` whose Faker and Random are derived from the global seed,
the tenant and the service name only, so one service's data never shifts
when another service changes how much randomness it draws, and the same
seed gives the same data byte for byte.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faker import Faker

from specdouble.state.base import TenantData

DEFAULT_SEED = 20240601
# Generated timestamps are relative to this instant, never to "now",
# so that seeded data does not depend on the day it is generated.
EPOCH = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def derive_seed(*parts: object) -> int:
    """A stable 63-bit integer from any parts (Python's hash() is salted)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass
class SeedContext:
    """What a seeder may use: its own Faker, Random and fixture records."""

    tenant: str
    seed: int
    service: str
    fixtures: Mapping[str, Any] = field(default_factory=dict)
    epoch: datetime = EPOCH
    faker: Faker = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        derived = derive_seed(self.seed, self.tenant, self.service)
        self.faker = Faker("en_US")
        self.faker.seed_instance(derived)
        self.rng = random.Random(derived)


Seeder = Callable[[SeedContext], TenantData]


def seed_tenant(
    tenant: str,
    seed: int,
    seeders: Mapping[str, Seeder],
    fixtures: Mapping[str, Mapping[str, Any]],
) -> TenantData:
    """Run every service's seeder for one tenant and merge the collections.

    ``fixtures`` maps service name -> tenant -> that service's hand-written
    records. Collection names must be unique across services (they are
    prefixed by service, e.g. ``pickpack.orders``).
    """
    data: TenantData = {}
    for service, seeder in seeders.items():
        tenant_fixtures = fixtures.get(service, {}).get(tenant, {}) or {}
        context = SeedContext(tenant=tenant, seed=seed, service=service, fixtures=tenant_fixtures)
        for collection, records in seeder(context).items():
            if collection in data:
                raise ValueError(f"collection {collection!r} seeded twice")
            data[collection] = records
    return data
