"""What the server says on its console: start-up stages and the opt-in request log.

Code below the CLI only logs, to :data:`STAGES` (one line per slow start-up
stage) and :data:`REQUESTS` (one :class:`RequestSummary` per mocked request,
with ``--log-requests``). A :class:`Console` attached by the process that owns
the terminal prints them, coloured when the stream is a terminal. Without
one, both loggers stay below the default WARNING level and cost nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TextIO

STAGES = logging.getLogger("specdouble.start")
REQUESTS = logging.getLogger("specdouble.requests")

_RESET = "\033[0m"
_DIM = "\033[2m"
_BOLD = "\033[1m"
_STATUS_COLORS = {2: "\033[32m", 3: "\033[36m", 4: "\033[33m", 5: "\033[31m"}
NOTE_LIMIT = 120


@dataclass(frozen=True)
class RequestSummary:
    """One request as the log shows it; ``note`` is the validation error or fault, if any."""

    method: str
    path: str
    tenant: str | None
    operation_id: str | None
    status: int | None
    duration_ms: float
    note: str | None = None

    def render(self, color: bool = False) -> str:
        status = "dropped" if self.status is None else str(self.status)
        fields = [self.method, self.path, self.tenant or "-", self.operation_id or "-"]
        note = self.note or ""
        if len(note) > NOTE_LIMIT:
            note = note[: NOTE_LIMIT - 3] + "..."
        timing = f"{self.duration_ms:.1f} ms"
        if color:
            tint = _STATUS_COLORS.get((self.status or 500) // 100, "")
            fields[0] = _BOLD + fields[0] + _RESET
            status = tint + status + _RESET
            timing = _DIM + timing + _RESET
            note = tint + note + _RESET if note else ""
        return " ".join([*fields, status, timing, *([note] if note else [])])


def note_for(validation_errors: tuple[str, ...] | list[str], fault: str | None,
             forced: bool) -> str | None:
    """The few words that say why an answer is not the plain one."""
    parts = []
    if fault:
        parts.append(f"fault {fault}")
    if forced:
        parts.append("forced by Prefer")
    if validation_errors:
        more = len(validation_errors) - 1
        parts.append(validation_errors[0] + (f" (+{more} more)" if more else ""))
    return "; ".join(parts) or None


def log_request(summary: RequestSummary) -> None:
    REQUESTS.info(summary.render(), extra={"summary": summary})


class _Format(logging.Formatter):
    def __init__(self, color: bool) -> None:
        super().__init__()
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        summary = getattr(record, "summary", None)
        if isinstance(summary, RequestSummary):
            return summary.render(self.color)
        return f"specdouble: {record.getMessage()}"


class Console:
    """Prints the stage lines (and the request log if asked) to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.color = bool(isatty and isatty())

    def attach(self, requests: bool, stages: bool = True) -> None:
        for logger, wanted in ((STAGES, stages), (REQUESTS, requests)):
            for old in [h for h in logger.handlers if getattr(h, "_specdouble", False)]:
                logger.removeHandler(old)  # a console attached earlier in this process
            if not wanted:
                logger.setLevel(logging.NOTSET)
                logger.propagate = True
                continue
            handler = logging.StreamHandler(self.stream)
            handler.setFormatter(_Format(self.color))
            handler._specdouble = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
