"""Choosing a documented response for an operation: by status, example, or generated.

The one mechanism behind ``Prefer`` (and fault rules that answer a status):
given an operation of a resolved spec, pick the documented response and its
body: a named example if there is one (or the one asked for), else data
generated from the response schema. Protocol-agnostic: it returns data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specdouble.data.generator import SchemaDataGenerator
from specdouble.support.problems import bad_request

JSON = "application/json"


@dataclass(frozen=True)
class ChosenResponse:
    status: int
    media_type: str | None
    body: Any = None
    has_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    example: str | None = None


def documented_statuses(operation: Mapping[str, Any]) -> list[int]:
    return sorted(int(code) for code in operation.get("responses", {}) if code.isdigit())


def _media(response: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    content = response.get("content") or {}
    if not content:
        return None, {}
    media_type = JSON if JSON in content else next(iter(content))
    return media_type, content[media_type] or {}


def example_names(operation: Mapping[str, Any], status: int | None = None) -> dict[str, int]:
    """Named examples of the operation's responses -> the status carrying each."""
    names: dict[str, int] = {}
    for code in documented_statuses(operation):
        if status is not None and code != status:
            continue
        _, media = _media(operation["responses"][str(code)])
        for name in media.get("examples") or {}:
            names.setdefault(name, code)
    return names


def _default_status(operation: Mapping[str, Any]) -> int:
    codes = documented_statuses(operation)
    success = [c for c in codes if 200 <= c < 300]
    return (success or codes)[0]


def choose_response(
    operation: Mapping[str, Any],
    root: Mapping[str, Any],
    generator: SchemaDataGenerator,
    *,
    status: int | None = None,
    example: str | None = None,
    dynamic: bool = False,
) -> ChosenResponse:
    """The response ``operation`` documents for ``status``/``example``/``dynamic``.

    Raises a 400 Problem listing what exists when the status or example name
    is not documented.
    """
    op_id = operation.get("operationId", "this operation")
    codes = documented_statuses(operation)
    if status is not None and status not in codes:
        raise bad_request(
            f"Status {status} is not documented for {op_id}.",
            f"header.Prefer: code={status} is not one of {', '.join(map(str, codes))}",
        )
    if example is not None:
        names = example_names(operation, status)
        if example not in names:
            available = ", ".join(sorted(names)) or "none"
            where = f" for status {status}" if status is not None else ""
            raise bad_request(
                f"No example named '{example}'{where} in {op_id}.",
                f"header.Prefer: example={example} is not one of: {available}",
            )
        status = names[example]
    if status is None:
        status = _default_status(operation)
    response = operation["responses"][str(status)]
    media_type, media = _media(response)
    headers = _headers(response, root, generator)
    if media_type is None:
        return ChosenResponse(status, None, headers=headers)
    examples = media.get("examples") or {}
    if not dynamic:
        name = example if example is not None else next(iter(examples), None)
        if name is not None:
            value = examples[name].get("value")
            return ChosenResponse(status, media_type, value, True, headers, name)
        if "example" in media:
            return ChosenResponse(status, media_type, media["example"], True, headers)
    schema = media.get("schema")
    if schema is None:
        return ChosenResponse(status, media_type, None, False, headers)
    body = _stamp_status(generator.generate(schema, root=root), schema, status)
    return ChosenResponse(status, media_type, body, True, headers)


def _stamp_status(body: Any, schema: Mapping[str, Any], status: int) -> Any:
    """Fields the spec marks ``x-http-status`` carry the answer's status, not a random one.

    An error body's ``code`` (or ``status``) equals the HTTP status by contract;
    the generator only knows the schema's range.
    """
    if isinstance(body, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, Mapping) and prop.get("x-http-status") and name in body:
                body[name] = status
    return body


def _headers(
    response: Mapping[str, Any], root: Mapping[str, Any], generator: SchemaDataGenerator
) -> dict[str, str]:
    """Values for the response headers the spec marks required."""
    out = {}
    for name, header in (response.get("headers") or {}).items():
        if header.get("required") and "schema" in header:
            value = (header["example"] if "example" in header
                     else generator.generate(header["schema"], root=root, name=name))
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out
