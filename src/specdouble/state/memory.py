"""In-memory backend: a dict per tenant, a lock per tenant, staged writes.

A tenant loaded packed (:class:`~specdouble.state.packed.PackedTenant`, a
tenant created on demand) keeps each collection as compressed bytes until a
transaction or an export first reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from specdouble.state.base import Record, TenantData
from specdouble.state.packed import PackedTenant, unpack_collection

_DELETED: Any = object()


def _copy(value: Any) -> Any:
    """A copy of a JSON tree (dicts, lists, scalars): what deepcopy does, 3x cheaper."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


_SEQUENCES = "__sequences__"


class _TenantRecords:
    """One tenant's collections: records, or packed bytes not read yet (in load order)."""

    __slots__ = ("_collections",)

    def __init__(self, data: TenantData | PackedTenant) -> None:
        self._collections: dict[str, dict[str, Record] | bytes] = (
            dict(data.collections) if isinstance(data, PackedTenant) else _copy(data))

    def read(self, collection: str) -> dict[str, Record]:
        """The collection's records (unpacked now if still packed); empty if there is none."""
        found = self._collections.get(collection)
        if isinstance(found, bytes):
            found = self._collections[collection] = unpack_collection(found)
        return {} if found is None else found

    def write(self, collection: str) -> dict[str, Record]:
        """The collection's records to change, created if missing."""
        found = self.read(collection)
        if collection not in self._collections:
            self._collections[collection] = found
        return found

    def export(self) -> TenantData:
        """A copy of every collection; packed ones are unpacked for it, and stay packed."""
        return {name: unpack_collection(found) if isinstance(found, bytes) else _copy(found)
                for name, found in self._collections.items() if name != _SEQUENCES}


class _MemoryTransaction:
    """Reads see committed data plus this transaction's staged writes."""

    def __init__(self, tenant: str, data: _TenantRecords) -> None:
        self.tenant = tenant
        self._data = data
        self._staged: dict[str, dict[str, Any]] = {}

    def get(self, collection: str, key: str) -> Record | None:
        staged = self._staged.get(collection, {})
        if key in staged:
            value = staged[key]
            return None if value is _DELETED else _copy(value)
        value = self._data.read(collection).get(key)
        return None if value is None else _copy(value)

    def put(self, collection: str, key: str, record: Record) -> None:
        self._staged.setdefault(collection, {})[key] = _copy(record)

    def delete(self, collection: str, key: str) -> bool:
        existed = self.get(collection, key) is not None
        self._staged.setdefault(collection, {})[key] = _DELETED
        return existed

    def keys(self, collection: str) -> list[str]:
        merged = dict.fromkeys(self._data.read(collection))
        for key, value in self._staged.get(collection, {}).items():
            if value is _DELETED:
                merged.pop(key, None)
            else:
                merged[key] = None
        return list(merged)

    def values(self, collection: str) -> list[Record]:
        out = []
        for key in self.keys(collection):
            record = self.get(collection, key)
            if record is not None:
                out.append(record)
        return out

    def view(self, collection: str) -> list[Record]:
        """The stored records themselves: they are never changed in place (put stores a copy)."""
        merged = dict(self._data.read(collection))
        for key, value in self._staged.get(collection, {}).items():
            if value is _DELETED:
                merged.pop(key, None)
            else:
                merged[key] = value
        return list(merged.values())

    def next_sequence(self, name: str) -> int:
        current = self.get(_SEQUENCES, name) or {"value": 0}
        value = int(current["value"]) + 1
        self.put(_SEQUENCES, name, {"value": value})
        return value

    def commit(self) -> None:
        for collection, changes in self._staged.items():
            target = self._data.write(collection)
            for key, value in changes.items():
                if value is _DELETED:
                    target.pop(key, None)
                else:
                    target[key] = value
        self._staged.clear()


class MemoryStore:
    """The default store: process memory, isolated per tenant."""

    def __init__(self) -> None:
        self._tenants: dict[str, _TenantRecords] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._registry_lock = threading.Lock()

    @contextmanager
    def _locked(self, tenant: str) -> Iterator[None]:
        """Hold the tenant's lock: the one still registered once acquired.

        Dropping a tenant forgets its lock; whoever waited on that lock takes
        the tenant's new one instead, so no two writers ever hold different locks.
        """
        while True:
            with self._registry_lock:
                lock = self._locks.setdefault(tenant, threading.RLock())
            with lock:
                if self._locks.get(tenant) is lock:
                    yield
                    return

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[_MemoryTransaction]:
        with self._locked(tenant):
            data = self._tenants.get(tenant)
            if data is None:
                self._forget_lock(tenant)
                raise KeyError(f"unknown tenant {tenant!r}")
            tx = _MemoryTransaction(tenant, data)
            yield tx
            tx.commit()

    def has_tenant(self, tenant: str) -> bool:
        return tenant in self._tenants

    def tenants(self) -> list[str]:
        return sorted(self._tenants)

    def load_tenant(self, tenant: str, data: TenantData | PackedTenant) -> None:
        fresh = _TenantRecords(data)
        with self._locked(tenant):
            self._tenants[tenant] = fresh

    def add_tenant(self, tenant: str, data: TenantData | PackedTenant) -> bool:
        fresh = _TenantRecords(data)
        with self._locked(tenant):
            if tenant in self._tenants:
                return False
            self._tenants[tenant] = fresh
            return True

    def export_tenant(self, tenant: str) -> TenantData:
        with self._locked(tenant):
            return self._tenants[tenant].export()

    def drop_tenant(self, tenant: str) -> bool:
        """Forget the tenant's records and its lock."""
        with self._locked(tenant):
            dropped = self._tenants.pop(tenant, None) is not None
            self._forget_lock(tenant)
            return dropped

    def _forget_lock(self, tenant: str) -> None:
        """Only while holding it: who waits on it then takes a new one (see ``_locked``)."""
        with self._registry_lock:
            self._locks.pop(tenant, None)
