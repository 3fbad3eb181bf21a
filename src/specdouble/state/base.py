"""The store interface the domain is written against.

Records are JSON-compatible dicts, grouped per tenant into named
collections and keyed by a string id. All reads and writes go through a
:class:`Transaction`: writes are staged and only applied when the block
exits without an exception, under the tenant's lock, so a rejected request
changes nothing and concurrent writers never interleave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from specdouble.state.packed import PackedTenant

Record = dict[str, Any]
# collection name -> record id -> record
TenantData = dict[str, dict[str, Record]]
T = TypeVar("T")

# How often a unit of work is tried when other writers keep winning.
MAX_ATTEMPTS = 20


class TransactionConflict(Exception):
    """Another writer changed the tenant while this unit of work ran; nothing was written.

    Only optimistic backends (Redis) raise it: the caller runs the whole unit of work
    again (``run_transaction``, or the HTTP retry middleware replays the request).
    """

    def __init__(self, tenant: str, connection_lost: bool = False) -> None:
        super().__init__(tenant)
        self.tenant = tenant
        # The store's connection broke while watching (a Redis restarting or gone), rather
        # than another writer winning: worth a replay, but only while time allows.
        self.connection_lost = connection_lost


class Transaction(Protocol):
    """One tenant's view during a unit of work."""

    tenant: str

    def get(self, collection: str, key: str) -> Record | None:
        """A copy of the record, or None."""

    def put(self, collection: str, key: str, record: Record) -> None:
        """Stage an insert or replace."""

    def delete(self, collection: str, key: str) -> bool:
        """Stage a delete; True when the record existed."""

    def values(self, collection: str) -> list[Record]:
        """Copies of every record in insertion order, staged writes included."""

    def view(self, collection: str) -> list[Record]:
        """Every record in insertion order, for reading only (a backend may skip the copy).

        For list operations that read many records to return a few: the caller
        must not change what it gets, nor keep it to change later.
        """

    def keys(self, collection: str) -> list[str]:
        """Every key, staged writes included."""

    def next_sequence(self, name: str) -> int:
        """A per-tenant counter, for generated ids."""


class Store(Protocol):
    """Per-tenant state; one lock per tenant serializes writes."""

    def transaction(self, tenant: str) -> AbstractContextManager[Transaction]:
        """Open a unit of work on ``tenant`` (which must exist)."""

    def has_tenant(self, tenant: str) -> bool: ...

    def tenants(self) -> list[str]: ...

    def load_tenant(self, tenant: str, data: TenantData | PackedTenant) -> None:
        """Replace a tenant's whole data (creating the tenant); ``data`` is not kept."""

    def add_tenant(self, tenant: str, data: TenantData | PackedTenant) -> bool:
        """Create the tenant with ``data`` unless it exists; True when this call created it.

        One atomic step that never overwrites: of several processes restoring a
        tenant a store lost, one creates it, and writes made since stay.
        """

    def export_tenant(self, tenant: str) -> TenantData:
        """A deep copy of a tenant's data."""

    def drop_tenant(self, tenant: str) -> bool: ...


class OptimisticStore(Store, Protocol):
    """A store whose units of work may lose to other processes (TransactionConflict)."""

    def priority(self, tenant: str) -> AbstractContextManager[bool]:
        """While the block runs, this context's writes to ``tenant`` win over others'."""


def iter_records(data: TenantData) -> Iterator[tuple[str, str, Record]]:
    """(collection, key, record) for every record; handy for export checks."""
    for collection, records in data.items():
        for key, record in records.items():
            yield collection, key, record


class UnknownTenant(KeyError):
    """A transaction on a tenant the store does not hold.

    On Redis this also means the data was lost (a restart without persistence,
    a flush): the HTTP layer then restores a default tenant and replays.
    """

    def __init__(self, tenant: str) -> None:
        super().__init__(f"unknown tenant {tenant!r}")
        self.tenant = tenant


class StoreUnavailable(RuntimeError):
    """The configured store cannot be reached (at start, or while serving).

    The state layer knows no HTTP: the CLI reports this at start, and the HTTP
    edge answers the operation's documented 500 naming the store.
    """


def run_transaction(store: Store, tenant: str, work: Callable[[Transaction], T],
                    attempts: int = MAX_ATTEMPTS) -> T:
    """``work(tx)`` in a transaction, run again on :class:`TransactionConflict`.

    For callers outside a request (background jobs, tests); a ``with`` body
    cannot be re-run, a function can.
    """
    for attempt in range(attempts):
        try:
            with store.transaction(tenant) as tx:
                return work(tx)
        except TransactionConflict:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
