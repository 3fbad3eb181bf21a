"""Customer Management seed data: fixture records plus generated ones around them.

Fixtures (``fixtures/customer-management.yaml``) hold the records the
documented examples need; the schema generator adds a few dozen legal
entities, customers and assignments per tenant, each made from the spec's
``LegalEntity``, ``Customer``, ``ContactAssignment`` (and nested) schemas
with the seeder's values laid over what carries rules: ids, references
(parents, groups, approvers, one assignment per legal entity and customer),
the country a legal entity is registered in, and metadata timestamps.
Everything comes from the context's seeded sources and ``ctx.epoch``: same
seed, same bytes. Generated records are all newer than the fixture ones, so
unsorted lists show the documented records first.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from specdouble.data.seeding import SeedContext
from specdouble.domain.contacts import ASSIGNMENTS, CUSTOMERS, LEGAL_ENTITIES
from specdouble.state.base import Record, TenantData
from specdouble.support.clock import iso_millis

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
    companies = [fake.legal_entity(groups) for _ in range(GENERATED_COMPANIES)]
    subsidiaries = [
        fake.legal_entity(groups, parent=ctx.rng.choice(companies))
        for _ in range(GENERATED_SUBSIDIARIES)
    ]
    generated_entities = companies + subsidiaries
    pairs: set[tuple[str, str]] = set()
    generated_assignments: list[Record] = []
    while len(generated_assignments) < GENERATED_ASSIGNMENTS:
        entity = ctx.rng.choice(generated_entities)
        customer = ctx.rng.choice(generated_customers)
        if (entity["id"], customer["id"]) in pairs:
            continue
        pairs.add((entity["id"], customer["id"]))
        generated_assignments.append(fake.assignment(entity, customer))
    people = {c["id"]: c for c in generated_customers}
    for entity in generated_entities:
        entity["approvalGroup"] = fake.approval_group(entity, generated_assignments, people)

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
    """Generated records; ids are 24 hex chars from ctx.rng, unique in the tenant."""

    def __init__(self, ctx: SeedContext, taken: set[str]) -> None:
        self.ctx = ctx
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

    def metadata(self) -> Record:
        """Epoch-relative times (created before modified); no mixins: no mixin schemas exist."""
        created = self.moment(200, 700)
        modified = max(created, self.moment(1, 199))
        fields = {"createdAt": created, "modifiedAt": modified, "version": self.rng.randint(1, 4)}
        return self.ctx.record("Metadata", fields, omit=("mixins",))

    def customer(self) -> Record:
        """``name`` is the first name (as in the documented examples); email follows the name."""
        first = self.ctx.value("Customer/properties/name", hint="firstName")
        record = self.ctx.record(
            "Customer", {"id": self.new_id(), "name": first}, ensure=("surname", "email", "phone")
        )
        local = re.sub(r"[^a-z0-9.-]", "", f"{first}.{record['surname']}".lower())
        record["email"] = f"{local}@{record['email'].rpartition('@')[2]}"
        return record

    def customer_group(self, names: tuple[str, str, str]) -> Record:
        en, de, fr = names
        return self.ctx.record(
            "CustomerGroup", {"id": self.new_id(), "name": {"en": en, "de": de, "fr": fr}},
            omit=("role",),  # the vendor names no role values; none is invented
        )

    def legal_entity(
        self, groups: list[Record], parent: Record | None = None
    ) -> Record:
        ident = self.new_id()
        name = self.ctx.value("LegalEntity/properties/name", hint="LegalEntity.name")
        legal_info = self.legal_info(name)
        country = legal_info["countryOfRegistration"]
        fields: Record = {"id": ident, "name": name, "type": "SUBSIDIARY" if parent else "COMPANY"}
        if parent:
            fields["parentId"] = parent["id"]
        fields["legalInfo"] = legal_info
        fields["accountLimit"] = self.ctx.record(
            "Money", {"value": round(self.rng.uniform(1_000, 250_000), 2)}, hint="accountLimit",
            ensure=("currency",),
        )
        fields["customerGroups"] = self.rng.sample(groups, self.rng.randint(0, 2))
        fields["entitiesAddresses"] = [
            self.address(label, kind, country)
            for label, kind in self.rng.sample(ADDRESS_KINDS, self.rng.randint(1, 2))
        ]
        # Filled once the assignments exist: members are the entity's own assignments.
        fields["approvalGroup"] = []
        omit = ["mixins"]  # no mixin schemas exist in the mock
        if self.rng.random() < 0.3:
            fields["restrictions"] = [country]
        else:
            omit.append("restrictions")
        fields["metadata"] = self.metadata()
        return self.ctx.record("LegalEntity", fields, omit=omit)

    def approval_group(
        self, entity: Record, assignments: list[Record], people: dict[str, Record]
    ) -> list[Record]:
        """Up to two of the entity's contact assignments, legal entity not expanded."""
        own = [a for a in assignments if a["legalEntity"]["id"] == entity["id"]]
        chosen = self.rng.sample(own, min(len(own), self.rng.randint(0, 2)))
        return [
            self.ctx.record("ApprovalGroupMember", {
                "id": a["id"], "legalEntity": {"id": entity["id"]},
                "customer": dict(people[a["customer"]["id"]]), "type": a["type"],
                "primary": a["primary"], "metadata": dict(a["metadata"]),
            })
            for a in chosen
        ]

    def legal_info(self, name: str) -> Record:
        """The legal name extends the entity's name; the tax number starts with its country."""
        country = self.ctx.value("LegalInfo/properties/countryOfRegistration",
                                 hint="countryOfRegistration")
        fields = {
            "legalName": f"{name} {self.ctx.faker.company_suffix()}",
            "registrationDate": self.moment(700, 4000),
            "countryOfRegistration": country,
            "taxRegistrationNumber": f"{country}{self.ctx.faker.numerify('#########')}",
        }
        city = self.ctx.value("LegalInfo/properties/registrationAgency", hint="city")
        fields["registrationAgency"] = f"{city} Commercial Register"
        # accountLimit belongs to the legal entity (see spec notes), not here.
        return self.ctx.record("LegalInfo", fields, omit=("accountLimit",),
                               ensure=("registrationId",))

    def address(self, label: str, kind: str, country: str) -> Record:
        details = self.ctx.record(
            "ContactDetails",
            {"countryCode": country, "tags": ["shipping"] if kind == "WAREHOUSE" else ["billing"]},
            ensure=("emails", "phones", "addressLine1", "city", "postcode"),
            omit=("state",),  # a generated state need not lie in the country
        )
        fields = {"id": self.new_id(), "name": label, "type": kind, "contactDetails": details,
                  "metadata": self.metadata()}
        return self.ctx.record("EntityAddress", fields, omit=("mixins",))

    def assignment(self, entity: Record, customer: Record) -> Record:
        """References hold only ids (reads expand them); no mixins: no mixin schemas exist."""
        fields = {
            "id": self.new_id(),
            "legalEntity": {"id": entity["id"]},
            "customer": {"id": customer["id"]},
            "metadata": self.metadata(),
        }
        return self.ctx.record("ContactAssignment", fields, ensure=("type", "primary"),
                               omit=("mixins",))
