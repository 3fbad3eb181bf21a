"""Does a response conform to its spec? openapi-core answers, for tests and at run time.

One checker serves both the test suite (a client fixture checks every
response the HTTP tests receive) and ``serve --check-responses`` (each
outgoing response checked, violations logged and journaled).
Protocol-agnostic: it takes plain values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError

from specdouble.spec.loader import OperationIndex


@dataclass
class _Request:
    method: str
    path: str
    host_url: str
    body: bytes | None = None
    content_type: str = "application/json"
    parameters: RequestParameters = field(default_factory=RequestParameters)

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


class _Headers(Mapping[str, str]):
    """Response headers looked up by name in any case, as HTTP names them."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._headers

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: _Headers


class ResponseChecker:
    """Checks responses against the specs whose paths they belong to."""

    def __init__(self, specs: Mapping[str, dict[str, Any]], index: OperationIndex) -> None:
        self._specs = dict(specs)
        self._index = index
        self._apis: dict[str, OpenAPI] = {}

    def _api(self, name: str) -> OpenAPI:
        if name not in self._apis:
            self._apis[name] = OpenAPI.from_dict(self._specs[name])
        return self._apis[name]

    def check(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes,
    ) -> list[str] | None:
        """Violations of the response (empty when it conforms); None when no spec has it."""
        found = self._index.find(method, path)
        if found is None:  # not a documented operation: a 405, a preflight, tooling
            return None
        name = found[0].service
        spec = self._specs[name]
        host = spec.get("servers", [{}])[-1].get("url", "")
        request = _Request(method.lower(), path, host)
        content_type = headers.get("content-type", "application/json" if body else "")
        response = _Response(status, body, content_type, _Headers(headers))
        # Validation only: unmarshalling the body into Python objects would cost
        # ten times as much and find nothing more.
        errors = list(self._api(name).iter_response_errors(request, response))
        if any(isinstance(error, PathError) for error in errors):
            return None
        return [_describe(error) for error in errors]


def _describe(error: Exception) -> str:
    """The error and, when openapi-core wraps schema errors, each of their messages."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or []
    messages = [e.message for e in schema_errors]
    return f"{error}" if not messages else f"{type(cause).__name__}: " + "; ".join(messages)
