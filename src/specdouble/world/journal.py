"""The request journal: a bounded ring of what the mock served, with filters.

Protocol-agnostic: the HTTP edge builds an :class:`Entry` per request and
adds it; the admin API lists and clears. The ring is a capped log of the
server state (a deque in memory, a trimmed list in a shared Redis): it drops
the oldest entry on each add past the limit, and bodies are cut to a byte
limit, so memory stays flat under any load.

Code deep in the request (error handlers, the ``Prefer`` middleware) notes
facts the edge cannot see through :func:`mark`, which writes into the
:class:`Marks` of the request being served (held in a context variable).
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from specdouble.state.base import StoreUnavailable
from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.support.terminal import RequestSummary, log_request, note_for

logger = logging.getLogger("specdouble")

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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Body:
        return cls(data["body"], data["size"], data["truncated"])


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        """The entry back from its JSON form (as a shared journal keeps it)."""
        conformance = data["conformance"]
        return cls(
            id=data["id"], time=data["time"], method=data["method"], path=data["path"],
            query=data["query"], tenant=data["tenant"], operation_id=data["operationId"],
            status=data["status"], duration_ms=data["durationMs"],
            request=Body.from_json(data["request"]), response=Body.from_json(data["response"]),
            validation_errors=tuple(data["validation"]["errors"]), forced=data["forced"],
            fault=data["fault"],
            response_violations=(tuple(conformance["violations"]) if conformance["checked"]
                                 else None),
        )


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
    """The newest ``size`` entries, kept in the server state (shared by workers or not).

    One capped log: each add is O(1) and drops the oldest entry past ``size``.
    """

    LOG = "journal"
    IDS = "journal-ids"

    def __init__(self, size: int = DEFAULT_SIZE, body_limit: int = DEFAULT_BODY_LIMIT,
                 shared: ServerState | None = None) -> None:
        if size < 1:
            raise ValueError(f"journal size must be at least 1, got {size}")
        self.size = size
        self.body_limit = body_limit
        self.shared: ServerState = shared or MemoryServerState()

    def add(self, entry: Entry) -> Entry:
        """Keep ``entry`` under the next id (its own ``id`` is ignored); the entry kept."""
        return replace(entry, id=self.keep(entry))

    def keep(self, entry: Entry) -> int:
        """:meth:`add` for the request path, which needs only the id (no copy of the entry)."""
        data = entry.to_json()
        del data["id"]
        return self.shared.append_numbered(self.LOG, self.IDS, data, self.size)

    def entries(self, where: Filter | None = None, limit: int | None = None) -> list[Entry]:
        """Matching entries, newest first, at most ``limit``."""
        out = []
        for data in self.shared.recent(self.LOG):
            entry = Entry.from_json(data)
            if where is None or where.accepts(entry):
                out.append(entry)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def clear(self) -> int:
        return self.shared.clear_log(self.LOG)

    def __len__(self) -> int:
        return self.shared.log_length(self.LOG)


def summary(entry: Entry) -> RequestSummary:
    """The console line of an entry (``--log-requests``, ``mock --journal``)."""
    return RequestSummary(entry.method, entry.path, entry.tenant, entry.operation_id,
                          entry.status, entry.duration_ms,
                          note_for(entry.validation_errors, entry.fault, entry.forced))


def record(log: Journal, entry: Entry, console: bool = False) -> None:
    """Keep ``entry`` at the end of a request, and print its console line if asked.

    Every request path records through here. A shared journal whose store is
    gone loses the entry, with a warning: the answer went out all the same.
    """
    if console:
        log_request(summary(entry))
    try:
        log.keep(entry)
    except StoreUnavailable as err:
        logger.warning("journal entry of %s %s lost: %s", entry.method, entry.path, err)
