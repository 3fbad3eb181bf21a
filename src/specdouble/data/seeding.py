"""Seeding: turn (seed, tenant, fixtures, specs) into a tenant's initial state.

Each service contributes a :data:`Seeder`. A seeder gets a
:class:`SeedContext` whose Faker, Random and schema-data generator are
derived from the global seed, the tenant and the service name only, so one
service's data never shifts when another service changes how much
randomness it draws, and the same seed gives the same data byte for byte.

Generated records are made by the same :class:`SchemaDataGenerator` that
answers ``Prefer: dynamic=true`` (issue 6: one way data is made), driven by
the record schemas of the specs: :meth:`SeedContext.record` generates a
schema-valid record and lays the seeder's own values over it, the fields
that carry rules across records (ids, references, counts, statuses).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from faker import Faker

from specdouble.data.generator import SchemaDataGenerator
from specdouble.state.base import Record, TenantData
from specdouble.support.seeds import EPOCH, derive_seed


@dataclass
class SeedContext:
    """What a seeder may use: its own Faker, Random, schema generator and fixtures.

    ``specs`` maps service name -> resolved spec (as the app serves it), so a
    custom ``--specs`` folder drives its own seed data.
    """

    tenant: str
    seed: int
    service: str
    fixtures: Mapping[str, Any] = field(default_factory=dict)
    epoch: datetime = EPOCH
    specs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    faker: Faker = field(init=False)
    rng: random.Random = field(init=False)
    generator: SchemaDataGenerator = field(init=False)
    _trimmed: dict[tuple[Any, ...], dict[str, Any]] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        self.rng = random.Random(derive_seed(self.seed, self.tenant, self.service))
        self.generator = SchemaDataGenerator(
            derive_seed(self.seed, self.tenant, self.service, "schema-data")
        )
        # The generator's own Faker (building one costs ~30 ms); still seeded per context.
        self.faker = self.generator.faker

    def spec(self, service: str | None = None) -> Mapping[str, Any]:
        """The resolved spec of ``service`` (default: the one being seeded)."""
        name = service or self.service
        found = self.specs.get(name)
        if found is None:
            raise LookupError(f"no spec of service {name!r} was given to the seeder")
        return found

    def schema(self, path: str, service: str | None = None) -> Mapping[str, Any]:
        """A schema under ``components.schemas``; ``/`` walks into it.

        ``"OrderRecord/properties/entries/items"`` reaches an inline
        schema. The specs are resolved, so no ``$ref`` is left to follow.
        """
        node: Any = self.spec(service)["components"]["schemas"]
        for part in path.split("/"):
            node = node[part]
        return node

    def value(self, path: str, *, service: str | None = None, hint: str | None = None) -> Any:
        """One value for the schema at ``path``; ``hint`` names what it is (``firstName``)."""
        return self.generator.generate(
            self.schema(path, service), root=self.spec(service), name=hint, mode="response"
        )

    def record(
        self,
        path: str,
        fields: Mapping[str, Any] | None = None,
        *,
        service: str | None = None,
        hint: str | None = None,
        ensure: Iterable[str] = (),
        omit: Iterable[str] = (),
    ) -> Record:
        """A record valid for the object schema at ``path`` with ``fields`` laid over it.

        The generator makes every property except those in ``fields`` (the
        seeder's values, which carry the cross-record rules) and ``omit``
        (left out); ``ensure`` lists optional properties it must include.
        Keys follow the schema's property order.
        """
        fixed = dict(fields or {})
        schema = self._trim(path, service, frozenset(fixed) | frozenset(omit), tuple(ensure))
        generated = self.generator.generate(
            schema, root=self.spec(service), name=hint or path.rsplit("/", 1)[-1],
            mode="response",
        )
        order = list(self.schema(path, service).get("properties", {}))
        out: Record = {}
        for key in [*order, *generated, *fixed]:
            if key in out:
                continue
            if key in fixed:
                out[key] = fixed[key]
            elif key in generated:
                out[key] = generated[key]
        return out

    def _trim(
        self, path: str, service: str | None, removed: frozenset[str], ensure: tuple[str, ...]
    ) -> dict[str, Any]:
        """The schema without ``removed`` properties and with ``ensure`` required.

        Kept per context, so the generator's caches (keyed by schema
        identity) hit on every record after the first.
        """
        key = (path, service, removed, ensure)
        trimmed = self._trimmed.get(key)
        if trimmed is None:
            schema = self.schema(path, service)
            properties = schema.get("properties", {})
            unknown = [p for p in [*removed, *ensure] if p not in properties]
            if unknown and schema.get("additionalProperties") is False:
                raise KeyError(f"{path}: no properties {sorted(unknown)}")
            required = [p for p in schema.get("required", []) if p not in removed]
            required += [p for p in ensure if p not in required and p not in removed]
            trimmed = {
                **schema,
                "properties": {k: v for k, v in properties.items() if k not in removed},
                "required": required,
            }
            if not trimmed["required"]:
                del trimmed["required"]  # OAS 3.0: required must not be empty
            self._trimmed[key] = trimmed
        return trimmed


Seeder = Callable[[SeedContext], TenantData]


def seed_tenant(
    tenant: str,
    seed: int,
    seeders: Mapping[str, Seeder],
    fixtures: Mapping[str, Mapping[str, Any]],
    specs: Mapping[str, Mapping[str, Any]] | None = None,
) -> TenantData:
    """Run every service's seeder for one tenant and merge the collections.

    ``fixtures`` maps service name -> tenant -> that service's hand-written
    records; ``specs`` service name -> resolved spec, whose schemas drive
    the generated records. Collection names must be unique across services
    (they are prefixed by service, e.g. ``<service>.orders``).
    """
    data: TenantData = {}
    for service, seeder in seeders.items():
        tenant_fixtures = fixtures.get(service, {}).get(tenant, {}) or {}
        context = SeedContext(tenant=tenant, seed=seed, service=service,
                              fixtures=tenant_fixtures, specs=specs or {})
        for collection, records in seeder(context).items():
            if collection in data:
                raise ValueError(f"collection {collection!r} seeded twice")
            data[collection] = records
    return data
