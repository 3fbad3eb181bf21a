"""The request journal: a bounded ring of what the mock served, with filters.

Protocol-agnostic: the HTTP edge builds an :class:`Entry` per request and
adds it; the admin API lists and clears. The ring (``collections.deque``
with ``maxlen``) drops the oldest entry on each add past the limit, and
bodies are cut to a byte limit, so memory stays flat under any load.

Code deep in the request (error handlers, the ``Prefer`` middleware) notes
facts the edge cannot see through :func:`mark`, which writes into the
:class:`Marks` of the request being served (held in a context variable).
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SIZE = 1000
DEFAULT_BODY_LIMIT = 8192


@dataclass
class Marks:
    """What inner layers learned about the current request (mutable, per request)."""

    operation_id: str | None = None
    forced: bool = False
    validation_errors: list[str] = field(default_factory=list)
    tenant: str | None = None
    # None: the response was not checked (``--check-responses`` is off).
    response_violations: list[str] | None = None


_marks: ContextVar[Marks | None] = ContextVar("specdouble_journal_marks", default=None)


def mark(
    *,
    operation_id: str | None = None,
    forced: bool | None = None,
    validation_errors: list[str] | None = None,
    tenant: str | None = None,
    response_violations: list[str] | None = None,
) -> None:
    """Note a fact about the request being served; a no-op outside a request.

    ``validation_errors`` (``"<where>: <why>"`` items) mark the request as
    having failed validation; ``forced=True`` marks a forced (``Prefer``) answer.
    """
    marks = _marks.get()
    if marks is None:
        return
    if operation_id is not None:
        marks.operation_id = operation_id
    if forced is not None:
        marks.forced = forced
    if validation_errors is not None:
        marks.validation_errors = list(validation_errors) or ["request: invalid"]
    if tenant is not None:
        marks.tenant = tenant
    if response_violations is not None:
        marks.response_violations = list(response_violations)


def current_marks() -> Marks | None:
    return _marks.get()


@contextmanager
def marking(marks: Marks) -> Iterator[Marks]:
    """Make ``marks`` the target of :func:`mark` for the duration of a request."""
    token = _marks.set(marks)
    try:
        yield marks
    finally:
        _marks.reset(token)


@dataclass(frozen=True)
class Body:
    """A body cut to the journal's limit: ``text`` is at most ``limit`` bytes of it."""

    text: str | None
    size: int
    truncated: bool

    @classmethod
    def of(cls, raw: bytes, limit: int) -> Body:
        if not raw:
            return cls(None, 0, False)
        cut = raw[:limit]
        return cls(cut.decode("utf-8", errors="replace"), len(raw), len(raw) > limit)

    def to_json(self) -> dict[str, Any]:
        return {"body": self.text, "size": self.size, "truncated": self.truncated}


@dataclass(frozen=True)
class Entry:
    """One served request; ``status`` is None when a fault dropped the connection."""

    id: int
    time: str
    method: str
    path: str
    query: str
    tenant: str | None
    operation_id: str | None
    status: int | None
    duration_ms: float
    request: Body
    response: Body
    validation_errors: tuple[str, ...] = ()
    forced: bool = False
    fault: str | None = None
    response_violations: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "tenant": self.tenant,
            "operationId": self.operation_id,
            "status": self.status,
            "durationMs": self.duration_ms,
            "request": self.request.to_json(),
            "response": self.response.to_json(),
            "validation": {"passed": not self.validation_errors,
                           "errors": list(self.validation_errors)},
            "forced": self.forced,
            "fault": self.fault,
            "conformance": {"checked": self.response_violations is not None,
                            "violations": list(self.response_violations or ())},
        }


@dataclass(frozen=True)
class Filter:
    """Every given field must match; ``path`` is an fnmatch glob (``*`` spans ``/``)."""

    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    tenant: str | None = None

    def accepts(self, entry: Entry) -> bool:
        return (
            (self.operation_id is None or entry.operation_id == self.operation_id)
            and (self.method is None or entry.method == self.method.upper())
            and (self.path is None or fnmatch.fnmatchcase(entry.path, self.path))
            and (self.status is None or entry.status == self.status)
            and (self.tenant is None or entry.tenant == self.tenant)
        )


class Journal:
    """The newest ``size`` entries; thread-safe, O(1) per add."""

    def __init__(self, size: int = DEFAULT_SIZE, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        if size < 1:
            raise ValueError(f"journal size must be at least 1, got {size}")
        self.size = size
        self.body_limit = body_limit
        self._entries: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, where: Filter | None = None, limit: int | None = None) -> list[Entry]:
        """Matching entries, newest first, at most ``limit``."""
        with self._lock:
            snapshot = list(self._entries)
        out = []
        for entry in reversed(snapshot):
            if where is None or where.accepts(entry):
                out.append(entry)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        return len(self._entries)
