"""The server's own state beside the tenants' data: tokens, journal, fault rules, claims.

Issued tokens, created tenants' credentials, the request journal and the
fault rules' countdowns must be one for every worker that serves a world, as
the tenants' data is. They live behind this small interface: keyed tables of
JSON values, atomic counters, capped logs (newest first) and set-once
claims. :class:`MemoryServerState` keeps them in the process; the Redis one
(``state/redis_server_state.py``) in the shared Redis, under the store's prefix.

Values are JSON-compatible and treated as immutable: callers never change
what they put or get.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol


class ServerState(Protocol):
    """Tables, counters, capped logs and claims; every operation is atomic."""

    def get(self, table: str, key: str) -> Any | None: ...

    def put(self, table: str, key: str, value: Any) -> None: ...

    def put_new(self, table: str, key: str, value: Any) -> bool:
        """Insert unless ``key`` is present; True when this call inserted it."""

    def delete(self, table: str, key: str) -> bool: ...

    def items(self, table: str) -> dict[str, Any]: ...

    def clear(self, table: str) -> int:
        """Empty the table; how many entries it held."""

    def add(self, counter: str, amount: int = 1) -> int:
        """Add to a counter (missing counts as 0); its new value."""

    def value(self, counter: str) -> int: ...

    def drop_counter(self, counter: str) -> None: ...

    def append_numbered(self, log: str, counter: str, item: dict[str, Any], cap: int) -> int:
        """Add ``item`` with ``"id"``: the counter's next value, to a log of ``cap`` items.

        Numbering and adding are one atomic step: ids grow in the order items are
        added, whichever worker adds them. The id.
        """

    def recent(self, log: str) -> list[Any]:
        """The log's items, newest first."""

    def log_length(self, log: str) -> int: ...

    def clear_log(self, log: str) -> int: ...

    def claim(self, name: str, ttl_seconds: int) -> bool:
        """Take a lease held for ``ttl_seconds`` unless someone holds it; True when taken."""

    def release(self, name: str) -> None: ...


class MemoryServerState:
    """One process's server state: dicts, deques and one lock."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, Any]] = {}
        self._counters: dict[str, int] = {}
        self._logs: dict[str, deque[Any]] = {}
        self._claims: set[str] = set()
        self._lock = threading.Lock()

    def get(self, table: str, key: str) -> Any | None:
        return self._tables.get(table, {}).get(key)

    def put(self, table: str, key: str, value: Any) -> None:
        with self._lock:
            self._tables.setdefault(table, {})[key] = value

    def put_new(self, table: str, key: str, value: Any) -> bool:
        with self._lock:
            entries = self._tables.setdefault(table, {})
            if key in entries:
                return False
            entries[key] = value
            return True

    def delete(self, table: str, key: str) -> bool:
        with self._lock:
            return self._tables.get(table, {}).pop(key, None) is not None

    def items(self, table: str) -> dict[str, Any]:
        entries = self._tables.get(table)
        if not entries:
            return {}
        with self._lock:
            return dict(entries)

    def clear(self, table: str) -> int:
        with self._lock:
            return len(self._tables.pop(table, {}))

    def add(self, counter: str, amount: int = 1) -> int:
        with self._lock:
            value = self._counters.get(counter, 0) + amount
            self._counters[counter] = value
            return value

    def value(self, counter: str) -> int:
        return self._counters.get(counter, 0)

    def drop_counter(self, counter: str) -> None:
        with self._lock:
            self._counters.pop(counter, None)

    def append_numbered(self, log: str, counter: str, item: dict[str, Any], cap: int) -> int:
        with self._lock:
            number = self._counters.get(counter, 0) + 1
            self._counters[counter] = number
            entries = self._logs.get(log)
            if entries is None or entries.maxlen != cap:
                entries = self._logs[log] = deque(entries or (), maxlen=cap)
            entries.append({"id": number, **item})
            return number

    def recent(self, log: str) -> list[Any]:
        with self._lock:
            return list(reversed(self._logs.get(log, ())))

    def log_length(self, log: str) -> int:
        return len(self._logs.get(log, ()))

    def clear_log(self, log: str) -> int:
        with self._lock:
            entries = self._logs.pop(log, None)
            return len(entries) if entries else 0

    def claim(self, name: str, ttl_seconds: int) -> bool:
        """A process outlives nothing it shares with: the lease never expires here."""
        with self._lock:
            if name in self._claims:
                return False
            self._claims.add(name)
            return True

    def release(self, name: str) -> None:
        with self._lock:
            self._claims.discard(name)
