"""In-memory backend: a dict per tenant, a lock per tenant, staged writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from specdouble.state.base import Record, TenantData

_DELETED: Any = object()


def _copy(value: Any) -> Any:
    """A copy of a JSON tree (dicts, lists, scalars): what deepcopy does, 3x cheaper."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
_SEQUENCES = "__sequences__"


class _MemoryTransaction:
    """Reads see committed data plus this transaction's staged writes."""

    def __init__(self, tenant: str, data: TenantData) -> None:
        self.tenant = tenant
        self._data = data
        self._staged: dict[str, dict[str, Any]] = {}

    def get(self, collection: str, key: str) -> Record | None:
        staged = self._staged.get(collection, {})
        if key in staged:
            value = staged[key]
            return None if value is _DELETED else _copy(value)
        value = self._data.get(collection, {}).get(key)
        return None if value is None else _copy(value)

    def put(self, collection: str, key: str, record: Record) -> None:
        self._staged.setdefault(collection, {})[key] = _copy(record)

    def delete(self, collection: str, key: str) -> bool:
        existed = self.get(collection, key) is not None
        self._staged.setdefault(collection, {})[key] = _DELETED
        return existed

    def keys(self, collection: str) -> list[str]:
        merged = dict.fromkeys(self._data.get(collection, {}))
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
        merged = dict(self._data.get(collection, {}))
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
            target = self._data.setdefault(collection, {})
            for key, value in changes.items():
                if value is _DELETED:
                    target.pop(key, None)
                else:
                    target[key] = value
        self._staged.clear()


class MemoryStore:
    """The default store: process memory, isolated per tenant."""

    def __init__(self) -> None:
        self._tenants: dict[str, TenantData] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._registry_lock = threading.Lock()

    def _lock(self, tenant: str) -> threading.RLock:
        with self._registry_lock:
            return self._locks.setdefault(tenant, threading.RLock())

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[_MemoryTransaction]:
        with self._lock(tenant):
            data = self._tenants.get(tenant)
            if data is None:
                raise KeyError(f"unknown tenant {tenant!r}")
            tx = _MemoryTransaction(tenant, data)
            yield tx
            tx.commit()

    def has_tenant(self, tenant: str) -> bool:
        return tenant in self._tenants

    def tenants(self) -> list[str]:
        return sorted(self._tenants)

    def load_tenant(self, tenant: str, data: TenantData) -> None:
        fresh = _copy(data)
        with self._lock(tenant):
            self._tenants[tenant] = fresh

    def add_tenant(self, tenant: str, data: TenantData) -> bool:
        fresh = _copy(data)
        with self._lock(tenant):
            if tenant in self._tenants:
                return False
            self._tenants[tenant] = fresh
            return True

    def export_tenant(self, tenant: str) -> TenantData:
        with self._lock(tenant):
            data = self._tenants[tenant]
            return {
                name: _copy(records)
                for name, records in data.items()
                if name != _SEQUENCES
            }

    def drop_tenant(self, tenant: str) -> bool:
        with self._lock(tenant):
            return self._tenants.pop(tenant, None) is not None
