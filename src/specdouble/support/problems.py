"""Errors as data: the domain raises a Problem, the HTTP edge renders it.

A Problem knows nothing about wire shapes. ``http/errors.py`` turns it into
the body of the service that owns the request path, with the error shape
its service descriptor names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Machine-readable classifications, used where a shape has a slot for one.
VALIDATION_FAILURE = "validation_failure"
NOT_FOUND = "not_found"
CONFLICT = "conflict"


@dataclass
class Problem(Exception):
    """A failed request, as the domain or the HTTP layer sees it.

    ``status`` is the HTTP status; ``message`` is the human sentence;
    ``details`` lists ``"<field or rule>: <why>"`` items; ``kind`` is an
    optional classification (``validation_failure``, ``not_found``...);
    ``error_code`` is a service's own numeric error code, where its shape has one;
    ``headers`` are extra response headers (e.g. ``Allow`` on 405).
    """

    status: int
    message: str
    details: list[str] = field(default_factory=list)
    kind: str | None = None
    resource_id: str | None = None
    error_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Extra members a problem+json shape may carry (e.g. a list of validation errors).
    extensions: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"


def bad_request(message: str, *details: str, error_code: int | None = None) -> Problem:
    return Problem(400, message, list(details), kind=VALIDATION_FAILURE, error_code=error_code)


def not_found(message: str, resource_id: str | None = None,
              error_code: int | None = None) -> Problem:
    return Problem(404, message, kind=NOT_FOUND, resource_id=resource_id, error_code=error_code)


def conflict(message: str, *details: str, resource_id: str | None = None) -> Problem:
    return Problem(409, message, list(details), kind=CONFLICT, resource_id=resource_id)
