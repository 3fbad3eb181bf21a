"""Customer Management seed data: fixture records plus Faker ones around them.

Fixtures (``fixtures/customer-management.yaml``) hold the records the
documented examples need; Faker adds a few dozen legal entities, customers
and assignments per tenant. Everything generated comes from ``ctx.faker``,
``ctx.rng`` and ``ctx.epoch``: same seed, same bytes. Faker records are all
newer than the fixture ones, so unsorted lists show the documented
records first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from specdouble.clock import iso_millis
from specdouble.data.seeding import SeedContext
from specdouble.domain.contacts import ASSIGNMENTS, CUSTOMERS, LEGAL_ENTITIES, TYPES
from specdouble.state.base import Record, TenantData

SERVICE = "customer-management"
GENERATED_COMPANIES = 18
GENERATED_SUBSIDIARIES = 8
GENERATED_CUSTOMERS = 36
GENERATED_ASSIGNMENTS = 40

# Localized customer-group names (en, de, fr).
GROUP_NAMES = (
    ("Wholesale", "Großhandel", "Commerce de gros"),
    ("Retail partners", "Einzelhandelspartner", "Partenaires de détail"),
    ("Premium", "Premium", "Premium"),
    ("Distributors", "Vertriebspartner", "Distributeurs"),
    ("Public sector", "Öffentlicher Sektor", "Secteur public"),
)
ADDRESS_KINDS = (
    ("Main HQ", "HEADQUARTER"),
    ("Central Warehouse", "WAREHOUSE"),
    ("Office", "OFFICE"),
)
CURRENCIES = ("EUR", "USD", "GBP", "CHF")
COUNTRIES = ("DE", "US", "GB", "FR", "NL", "AT", "CH", "PL")


def seed(ctx: SeedContext) -> TenantData:
    """Legal entities, customers and contact assignments of one tenant."""
    legal_entities = _by_id(ctx.fixtures.get("legalEntities"))
    customers = _by_id(ctx.fixtures.get("customers"))
    assignments = {
        key: _normalize_assignment(record)
        for key, record in _by_id(ctx.fixtures.get("contactAssignments")).items()
    }
    _check_fixture_references(assignments, legal_entities, customers)

    fake = _Generator(ctx, taken=set(legal_entities) | set(customers) | set(assignments))
    generated_customers = [fake.customer() for _ in range(GENERATED_CUSTOMERS)]
    groups = [fake.customer_group(names) for names in GROUP_NAMES]
    companies = [fake.legal_entity(groups, generated_customers) for _ in range(GENERATED_COMPANIES)]
    subsidiaries = [
        fake.legal_entity(groups, generated_customers, parent=ctx.rng.choice(companies))
        for _ in range(GENERATED_SUBSIDIARIES)
    ]
    generated_entities = companies + subsidiaries
    pairs: set[tuple[str, str]] = set()
    generated_assignments = []
    while len(generated_assignments) < GENERATED_ASSIGNMENTS:
        entity = ctx.rng.choice(generated_entities)
        customer = ctx.rng.choice(generated_customers)
        if (entity["id"], customer["id"]) in pairs:
            continue
        pairs.add((entity["id"], customer["id"]))
        generated_assignments.append(fake.assignment(entity, customer))

    legal_entities.update({record["id"]: record for record in generated_entities})
    customers.update({record["id"]: record for record in generated_customers})
    assignments.update({record["id"]: record for record in generated_assignments})
    return {LEGAL_ENTITIES: legal_entities, CUSTOMERS: customers, ASSIGNMENTS: assignments}


def _by_id(records: Any) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for record in records or []:
        key = str(record["id"])
        if key in out:
            raise ValueError(f"customer-management fixtures: id {key!r} appears twice")
        out[key] = {**record, "id": key}
    return out


def _normalize_assignment(record: Record) -> Record:
    """Store references as ``{"id"}`` only, whatever the fixture spelled out."""
    out = dict(record)
    for name in ("legalEntity", "customer"):
        out[name] = {"id": str(record[name]["id"])}
    out.setdefault("type", "CONTACT")
    out.setdefault("primary", False)
    return out


def _check_fixture_references(
    assignments: dict[str, Record], entities: dict[str, Record], customers: dict[str, Record]
) -> None:
    """A fixture typo should fail at start, not show up as a half-expanded record."""
    seen: set[tuple[str, str]] = set()
    for key, record in assignments.items():
        pair = (record["legalEntity"]["id"], record["customer"]["id"])
        if pair[0] not in entities or pair[1] not in customers:
            raise ValueError(f"customer-management fixtures: assignment {key!r} references {pair}")
        if pair in seen:
            raise ValueError(f"customer-management fixtures: pair {pair} assigned twice")
        seen.add(pair)


class _Generator:
    """Faker records; ids are 24 hex chars from ctx.rng, unique in the tenant."""

    def __init__(self, ctx: SeedContext, taken: set[str]) -> None:
        self.ctx = ctx
        self.faker = ctx.faker
        self.rng = ctx.rng
        self.taken = taken

    def new_id(self) -> str:
        while True:
            candidate = f"{self.rng.getrandbits(96):024x}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate

    def moment(self, min_days: int, max_days: int) -> str:
        seconds = self.rng.randint(min_days * 86_400, max_days * 86_400)
        return iso_millis(
            self.ctx.epoch - timedelta(seconds=seconds, milliseconds=self.rng.randint(0, 999))
        )

    def metadata(self) -> dict[str, Any]:
        created = self.moment(200, 700)
        modified = max(created, self.moment(1, 199))
        return {"createdAt": created, "modifiedAt": modified, "version": self.rng.randint(1, 4)}

    def customer(self) -> Record:
        first, last = self.faker.first_name(), self.faker.last_name()
        return {
            "id": self.new_id(),
            "name": first,
            "surname": last,
            "email": f"{first}.{last}@{self.faker.free_email_domain()}".lower(),
            "phone": self.faker.numerify("+1 ###-###-####"),
        }

    def customer_group(self, names: tuple[str, str, str]) -> Record:
        en, de, fr = names
        return {"id": self.new_id(), "name": {"en": en, "de": de, "fr": fr}}

    def legal_entity(
        self, groups: list[Record], people: list[Record], parent: Record | None = None
    ) -> Record:
        name = self.faker.company()
        country = self.rng.choice(COUNTRIES)
        record: Record = {"id": self.new_id(), "name": name}
        record["type"] = "SUBSIDIARY" if parent else "COMPANY"
        if parent:
            record["parentId"] = parent["id"]
        record["legalInfo"] = {
            "legalName": f"{name} {self.faker.company_suffix()}",
            "registrationDate": self.moment(700, 4000),
            "registrationAgency": f"{self.faker.city()} Commercial Register",
            "registrationId": self.faker.bothify("HRB ######"),
            "countryOfRegistration": country,
            "taxRegistrationNumber": f"{country}{self.faker.numerify('#########')}",
        }
        record["accountLimit"] = {
            "currency": self.rng.choice(CURRENCIES),
            "value": round(self.rng.uniform(1_000, 250_000), 2),
        }
        record["customerGroups"] = self.rng.sample(groups, self.rng.randint(0, 2))
        record["entitiesAddresses"] = [
            self.address(label, kind, country)
            for label, kind in self.rng.sample(ADDRESS_KINDS, self.rng.randint(1, 2))
        ]
        record["approvalGroup"] = [
            {"id": p["id"], "name": p["name"], "surname": p["surname"]}
            for p in self.rng.sample(people, self.rng.randint(0, 2))
        ]
        record["metadata"] = self.metadata()
        return record

    def address(self, label: str, kind: str, country: str) -> Record:
        return {
            "id": self.new_id(),
            "name": label,
            "type": kind,
            "contactDetails": {
                "emails": [self.faker.company_email()],
                "phones": [self.faker.numerify("##########")],
                "addressLine1": self.faker.street_address(),
                "city": self.faker.city(),
                "postcode": self.faker.postcode(),
                "countryCode": country,
                "tags": ["shipping"] if kind == "WAREHOUSE" else ["billing"],
            },
            "metadata": self.metadata(),
        }

    def assignment(self, entity: Record, customer: Record) -> Record:
        return {
            "id": self.new_id(),
            "legalEntity": {"id": entity["id"]},
            "customer": {"id": customer["id"]},
            "type": self.rng.choice(TYPES),
            "primary": self.rng.random() < 0.25,
            "metadata": self.metadata(),
        }
