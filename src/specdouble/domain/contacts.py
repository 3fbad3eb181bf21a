"""Emporix Customer Management rules: contact assignments.

An assignment links a customer to a legal entity. It is stored with the
ids only and expanded on every read, so a change to a legal entity shows
in all its assignments. No HTTP here: each function opens one transaction,
returns plain data or raises a :class:`~specdouble.support.problems.Problem`
inside it (nothing is written then). Choices the vendor left open are in
``docs/spec-notes.md`` (Customer Management).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from specdouble.query import (
    QueryError,
    matches,
    parse_fields,
    parse_query,
    parse_sort,
    project,
    projector,
    sort_records,
)
from specdouble.state.base import Record, Store, Transaction
from specdouble.state.derived import DerivedCache
from specdouble.support.clock import iso_millis
from specdouble.support.jsonparse import as_integer
from specdouble.support.problems import Problem, bad_request, conflict

LEGAL_ENTITIES = "cm.legalEntities"
CUSTOMERS = "cm.customers"
ASSIGNMENTS = "cm.contactAssignments"

TYPES = ("PRIMARY", "BILLING", "LOGISTICS", "CONTACT")
DEFAULT_TYPE = "CONTACT"
DEFAULT_PAGE_SIZE = 16
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,66}$")

MSG_NO_LEGAL_ENTITY = "The legal entity with the requested code does not exist."
MSG_NO_CUSTOMER = "The customer with the requested code does not exist."
MSG_NO_ASSIGNMENT = "The contact assignment with the requested id does not exist."
MSG_DUPLICATE_ID = "A contact assignment with the given id already exists."
MSG_ALREADY_ASSIGNED = "The customer is already assigned to the legal entity."
MSG_VERSION = "The contact assignment was modified in the meantime (version mismatch)."


@dataclass(frozen=True)
class ListParams:
    """The list operation's query, already typed by the caller."""

    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str | None = None
    q: str | None = None
    fields: str | None = None
    legal_entity_id: str | None = None
    customer_id: str | None = None
    type: str | None = None
    primary: bool | None = None


@dataclass(frozen=True)
class Page:
    """One page of expanded assignments and the count before paging."""

    items: list[dict[str, Any]]
    total: int


@dataclass(frozen=True)
class UpsertResult:
    id: str
    created: bool


# --- reads --------------------------------------------------------------------------


def get_assignment(
    store: Store, tenant: str, assignment_id: str, fields: str | None = None
) -> dict[str, Any]:
    """The expanded assignment, projected to ``fields`` (``id`` always kept)."""
    paths = parse_fields(fields)
    with store.transaction(tenant) as tx:
        stored = tx.get(ASSIGNMENTS, assignment_id)
        if stored is None:
            raise _assignment_not_found(assignment_id)
        return project(_Expander(tx).expand(stored), paths)


def list_assignments(store: Store, tenant: str, params: ListParams) -> Page:
    """Filters AND q, then sort, then page, then project.

    Without ``sort`` the order is by creation time, then id, so the
    documented (older) records come first and the order does not depend on
    how a store backend iterates.
    """
    if params.page_number < 1:
        raise bad_request("Invalid paging.", "query.pageNumber: must be 1 or more")
    if params.page_size < 1:
        raise bad_request("Invalid paging.", "query.pageSize: must be 1 or more")
    try:
        query = parse_query(params.q)
    except QueryError as exc:
        raise bad_request("The query parameter q is malformed.", f"query.q: {exc}") from None
    keys = parse_sort(params.sort)
    paths = parse_fields(params.fields)
    with store.transaction(tenant) as tx:
        expanded = _expanded(tx, tenant)
    asked = (params.q, params.sort, params.legal_entity_id, params.customer_id, params.type,
             params.primary)
    ordered = expanded.orders.get(asked)
    if ordered is None:
        selected = [r for r in expanded.records if _passes_filters(r, params) and
                    matches(query, r)]
        ordered = sort_records(selected, keys)
        if len(expanded.orders) >= _ORDERS_KEPT:
            expanded.orders.clear()
        expanded.orders[asked] = ordered
    start = (params.page_number - 1) * params.page_size
    shape = projector(paths)
    return Page([shape(_copied(r)) for r in ordered[start : start + params.page_size]],
                len(ordered))


@dataclass(frozen=True)
class _Expanded:
    """Every assignment expanded, in creation order (shared references, read-only)."""

    records: list[dict[str, Any]]
    # filtered and sorted lists by (q, sort, filters): the same few lists are asked again
    orders: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)


# Per tenant, the last expansion, reused while the store hands out the same records.
_EXPANDED: DerivedCache[_Expanded] = DerivedCache()
_ORDERS_KEPT = 32


def _expanded(tx: Transaction, tenant: str) -> _Expanded:
    """The tenant's assignments expanded (shared references), oldest first, then by id."""

    def expand(held: tuple[list[Record], ...]) -> _Expanded:
        expander = _Expander.preloaded(tx, held[1], held[2])
        records = [expander.expand(stored, copy=False) for stored in held[0]]
        records.sort(key=_creation_order)
        return _Expanded(records)

    held = tuple(tx.view(name) for name in (ASSIGNMENTS, LEGAL_ENTITIES, CUSTOMERS))
    return _EXPANDED.get(tenant, held, expand)


def _copied(record: dict[str, Any]) -> dict[str, Any]:
    """A returned assignment: its own copies of the expanded references."""
    out = dict(record)
    for name in ("legalEntity", "customer"):
        out[name] = dict(record[name])
    return out


def _creation_order(record: dict[str, Any]) -> tuple[str, str]:
    return (str(record.get("metadata", {}).get("createdAt", "")), record["id"])


def _passes_filters(record: dict[str, Any], params: ListParams) -> bool:
    if params.legal_entity_id is not None and _ref(record, "legalEntity") != params.legal_entity_id:
        return False
    if params.customer_id is not None and _ref(record, "customer") != params.customer_id:
        return False
    if params.type is not None and record.get("type") != params.type:
        return False
    return params.primary is None or record.get("primary") is params.primary


# --- writes -------------------------------------------------------------------------


def create_assignment(
    store: Store, tenant: str, body: dict[str, Any], now: datetime
) -> dict[str, str]:
    """Create; 404 for unknown references, 409 for a taken id or pair. Returns ``{"id"}``."""
    legal_entity_id, customer_id = _references(body)
    custom_id = body.get("id")
    if custom_id is not None:
        _check_id(custom_id, "body.id")
    kind, primary = _type_and_primary(body)
    with store.transaction(tenant) as tx:
        _check_references(tx, legal_entity_id, customer_id)
        if custom_id is not None and tx.get(ASSIGNMENTS, custom_id) is not None:
            raise conflict(
                MSG_DUPLICATE_ID,
                f"body.id: contact assignment '{custom_id}' already exists",
                resource_id=custom_id,
            )
        _check_pair(tx, legal_entity_id, customer_id, exclude=None)
        assignment_id = custom_id or _generate_id(tx, now)
        stamp = iso_millis(now)
        metadata = {"createdAt": stamp, "modifiedAt": stamp, "version": 1}
        tx.put(
            ASSIGNMENTS,
            assignment_id,
            _stored(assignment_id, legal_entity_id, customer_id, kind, primary, metadata, body),
        )
    return {"id": assignment_id}


def upsert_assignment(
    store: Store, tenant: str, assignment_id: str, body: dict[str, Any], now: datetime
) -> UpsertResult:
    """Replace the assignment (``created=False``) or create it under ``assignment_id``.

    ``metadata.version``, when given on an update, must equal the stored
    version (optimistic locking, checked and written under the tenant's
    lock, so of two writers holding the same version exactly one wins). On
    a create there is nothing to lock against and the version is ignored.
    """
    _check_id(assignment_id, "path.contactAssignmentId")
    legal_entity_id, customer_id = _references(body)
    if body.get("type") is None:
        raise bad_request("The contact assignment is incomplete.", "body.type: is required")
    kind, primary = _type_and_primary(body)
    version = _requested_version(body)
    with store.transaction(tenant) as tx:
        _check_references(tx, legal_entity_id, customer_id)
        current = tx.get(ASSIGNMENTS, assignment_id)
        if current is not None and version is not None:
            stored_version = current.get("metadata", {}).get("version")
            if version != stored_version:
                raise conflict(
                    MSG_VERSION,
                    f"body.metadata.version: is {version}, the stored version is {stored_version}",
                    resource_id=assignment_id,
                )
        _check_pair(tx, legal_entity_id, customer_id, exclude=assignment_id)
        stamp = iso_millis(now)
        if current is None:
            metadata = {"createdAt": stamp, "modifiedAt": stamp, "version": 1}
        else:
            old = current.get("metadata", {})
            metadata = {
                "createdAt": old.get("createdAt", stamp),
                "modifiedAt": stamp,
                "version": int(old.get("version", 0)) + 1,
            }
        tx.put(
            ASSIGNMENTS,
            assignment_id,
            _stored(assignment_id, legal_entity_id, customer_id, kind, primary, metadata, body),
        )
    return UpsertResult(assignment_id, created=current is None)


def delete_assignment(store: Store, tenant: str, assignment_id: str) -> None:
    with store.transaction(tenant) as tx:
        if not tx.delete(ASSIGNMENTS, assignment_id):
            raise _assignment_not_found(assignment_id)


# --- helpers ------------------------------------------------------------------------


class _Expander:
    """Turns stored ``{"id"}`` references into the full objects, once per id."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._cache: dict[tuple[str, str], Record | None] = {}

    @classmethod
    def preloaded(cls, tx: Transaction, legal_entities: list[Record],
                  customers: list[Record]) -> _Expander:
        """For lists: every legal entity and customer read at once, not one by one.

        One read per collection instead of one per referenced id (a round trip
        each on a shared store).
        """
        expander = cls(tx)
        for collection, found in ((LEGAL_ENTITIES, legal_entities), (CUSTOMERS, customers)):
            for record in found:
                if isinstance(record.get("id"), str):  # records are stored under their id
                    expander._cache[(collection, record["id"])] = record
        return expander

    def _lookup(self, collection: str, key: str) -> Record | None:
        if (collection, key) not in self._cache:  # not preloaded, or a dangling reference
            self._cache[(collection, key)] = self._tx.get(collection, key)
        return self._cache[(collection, key)]

    def expand(self, stored: Record, copy: bool = True) -> dict[str, Any]:
        """``copy=False`` shares the referenced records: for reading only, never returned."""
        out: dict[str, Any] = {"id": stored["id"]}
        for name, collection in (("legalEntity", LEGAL_ENTITIES), ("customer", CUSTOMERS)):
            ref = _ref(stored, name)
            full = self._lookup(collection, ref) if ref else None
            # A dangling reference (e.g. from an imported state) still shows its id.
            if full is None:
                out[name] = {"id": ref}
            else:
                out[name] = dict(full) if copy else full
        for key, value in stored.items():
            if key not in out:
                out[key] = value
        return out


def _stored(
    assignment_id: str,
    legal_entity_id: str,
    customer_id: str,
    kind: str,
    primary: bool,
    metadata: dict[str, Any],
    body: dict[str, Any],
) -> Record:
    body_metadata = body.get("metadata")
    if isinstance(body_metadata, dict) and isinstance(body_metadata.get("mixins"), dict):
        metadata["mixins"] = body_metadata["mixins"]
    record: Record = {
        "id": assignment_id,
        "legalEntity": {"id": legal_entity_id},
        "customer": {"id": customer_id},
        "type": kind,
        "primary": primary,
        "metadata": metadata,
    }
    if isinstance(body.get("mixins"), dict):
        record["mixins"] = body["mixins"]
    return record


def _ref(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _references(body: dict[str, Any]) -> tuple[str, str]:
    legal_entity_id = _ref(body, "legalEntity")
    customer_id = _ref(body, "customer")
    missing = [
        f"body.{name}.id: is required"
        for name, value in (("legalEntity", legal_entity_id), ("customer", customer_id))
        if value is None
    ]
    if missing or legal_entity_id is None or customer_id is None:
        raise bad_request("The contact assignment is incomplete.", *missing)
    return legal_entity_id, customer_id


def _type_and_primary(body: dict[str, Any]) -> tuple[str, bool]:
    kind = body.get("type")
    if kind is None:
        kind = DEFAULT_TYPE
    if kind not in TYPES:
        raise bad_request(
            "The contact assignment is invalid.", f"body.type: must be one of {', '.join(TYPES)}"
        )
    primary = body.get("primary", False)
    if primary is None:
        primary = False
    if not isinstance(primary, bool):
        raise bad_request("The contact assignment is invalid.", "body.primary: must be a boolean")
    return kind, primary


def _requested_version(body: dict[str, Any]) -> int | None:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("version") is None:
        return None
    version = as_integer(metadata["version"])
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise bad_request(
            "The contact assignment is invalid.", "body.metadata.version: must be an integer >= 1"
        )
    return version


def _check_id(value: Any, where: str) -> None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise bad_request(
            "The contact assignment id is invalid.",
            f"{where}: must be 1 to 66 characters of a-z, A-Z, 0-9, '_' or '-'",
        )


def _check_references(tx: Transaction, legal_entity_id: str, customer_id: str) -> None:
    if tx.get(LEGAL_ENTITIES, legal_entity_id) is None:
        raise Problem(
            404,
            MSG_NO_LEGAL_ENTITY,
            [f"body.legalEntity.id: no legal entity '{legal_entity_id}' in this tenant"],
            kind="not_found",
            resource_id=legal_entity_id,
        )
    if tx.get(CUSTOMERS, customer_id) is None:
        raise Problem(
            404,
            MSG_NO_CUSTOMER,
            [f"body.customer.id: no customer '{customer_id}' in this tenant"],
            kind="not_found",
            resource_id=customer_id,
        )


def _check_pair(
    tx: Transaction, legal_entity_id: str, customer_id: str, exclude: str | None
) -> None:
    """One assignment per (legal entity, customer), whatever its type."""
    for other in tx.values(ASSIGNMENTS):
        if other.get("id") == exclude:
            continue
        if _ref(other, "legalEntity") == legal_entity_id and _ref(other, "customer") == customer_id:
            raise conflict(
                MSG_ALREADY_ASSIGNED,
                f"body.customer.id: customer '{customer_id}' is already assigned to legal entity "
                f"'{legal_entity_id}' by contact assignment '{other.get('id')}'",
                resource_id=str(other.get("id")),
            )


def _assignment_not_found(assignment_id: str) -> Problem:
    return Problem(
        404,
        MSG_NO_ASSIGNMENT,
        [f"path.contactAssignmentId: no contact assignment '{assignment_id}' in this tenant"],
        kind="not_found",
        resource_id=assignment_id,
    )


def _generate_id(tx: Transaction, now: datetime) -> str:
    """24 hex chars shaped like a MongoDB ObjectId, without global randomness.

    4 bytes of creation time, 5 bytes hashed from (tenant, sequence), 3 bytes
    of the tenant's sequence: deterministic for a given tenant history and
    clock, unique per tenant (checked against existing ids anyway).
    """
    while True:
        sequence = tx.next_sequence(ASSIGNMENTS)
        seconds = int(now.timestamp()) & 0xFFFFFFFF
        salt = hashlib.sha256(f"{tx.tenant}:{sequence}".encode()).hexdigest()[:10]
        candidate = f"{seconds:08x}{salt}{sequence & 0xFFFFFF:06x}"
        if tx.get(ASSIGNMENTS, candidate) is None:
            return candidate
