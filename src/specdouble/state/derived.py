"""Values derived from a tenant's records, kept while the records they came from are unchanged.

List operations sort, parse or join every stored record to return one page.
The memory store hands out the very same record objects from ``view`` until
a write replaces one (it never changes a record in place), so the identities
of the records are a cheap, exact test that nothing changed. A shared store
reads fresh objects on every call, so for it nothing is ever reused: the
cache is only ever a shortcut, never a second source of truth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from specdouble.state.base import Record

T = TypeVar("T")


class DerivedCache(Generic[T]):
    """Per tenant, the last value built from some record lists, while they stay the same.

    The value must be treated as read-only by its users: callers copy what they return.
    """

    def __init__(self, tenants: int = 64) -> None:
        self._tenants = tenants
        # tenant -> (record ids, the records themselves, value); holding the records
        # keeps them alive, so their ids cannot be reused by new objects
        self._kept: dict[str, tuple[tuple[list[int], ...], tuple[list[Record], ...], T]] = {}

    def get(self, tenant: str, held: tuple[list[Record], ...],
            build: Callable[[tuple[list[Record], ...]], T]) -> T:
        """The value for ``held`` (lists from ``Transaction.view``), built if they changed."""
        sources = tuple(list(map(id, records)) for records in held)
        kept = self._kept.get(tenant)
        if kept is not None and kept[0] == sources:
            return kept[2]
        value = build(held)
        if len(self._kept) >= self._tenants:
            self._kept.clear()
        self._kept[tenant] = (sources, held, value)
        return value
