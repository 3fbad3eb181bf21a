"""Schema checks compiled once: jsonschema-rs answers "valid" fast, jsonschema says why not.

The error texts clients see (``<where>.<field>: <why>``) are jsonschema's, so
a value jsonschema-rs rejects is checked again by the reference validator,
whose verdict and messages are the ones that count. jsonschema-rs is made at
least as strict as the reference (the reference's own format checks, plus
the int32/int64 ranges as bounds), so "valid" from it is never wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import jsonschema_rs
from jsonschema import Draft4Validator, FormatChecker, ValidationError

from specdouble.support.jsonparse import is_whole_number


class Reference(Protocol):
    """What the reference validator offers (jsonschema's ``iter_errors``)."""

    def iter_errors(self, instance: Any) -> Iterable[ValidationError]: ...


def _int_range(low: int, high: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        if not is_whole_number(value):
            return True  # a type error, reported by `type`
        return low <= value <= high  # type: ignore[operator]

    return check


INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(Draft4Validator.FORMAT_CHECKER.checkers)
for _name, (_low, _high) in INT_RANGES.items():
    FORMAT_CHECKER.checks(_name)(_int_range(_low, _high))


def _where(prefix: str, error: ValidationError) -> str:
    parts = [prefix]
    for item in error.absolute_path:
        if isinstance(item, int):
            parts[-1] += f"[{item}]"
        else:
            parts.append(str(item))
    # A missing required property is reported on its parent: name the property.
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        if missing:
            parts.append(str(missing[0]))
    return ".".join(parts)


def schema_errors(validator: Reference, value: Any, prefix: str) -> list[str]:
    """Every error of ``value``, sorted by location, as ``where: why``."""
    errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    details = []
    for error in errors:
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    base = _where(prefix, error).rsplit(".", 1)[0]
                    details.append(f"{base}.{name}: is required")
            continue
        details.append(f"{_where(prefix, error)}: {error.message}")
    return list(dict.fromkeys(details))


def coerce(value: Any, schema: Mapping[str, Any]) -> Any:
    """A header, path or query string as the type its schema declares, when it reads as one.

    Parameters arrive as text; ``X-Total-Count: true`` is a boolean ``true``. A
    value that does not read as the type stays text, so the schema check reports
    it. A list of types (OpenAPI 3.1) tries each; ``null`` reads as None there.
    """
    if not isinstance(value, str):
        return value
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "null" in kinds and value == "null":
        return None
    for kind in kinds:
        try:
            if kind == "integer":
                return int(value)
            if kind == "number":
                return float(value)
        except ValueError:
            continue
        if kind == "boolean" and value.lower() in {"true", "false"}:
            return value.lower() == "true"
    return value


def _bounded(node: Any) -> Any:
    """A copy of a schema with each int32/int64 format also stated as min/max bounds.

    jsonschema-rs applies custom formats to strings only; bounds make it reject
    what the reference's integer format checks reject.
    """
    if isinstance(node, list):
        return [_bounded(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _bounded(value) for key, value in node.items()}
    bounds = INT_RANGES.get(str(node.get("format")))
    if bounds is not None:
        extra = {"minimum": bounds[0], "maximum": bounds[1]}
        out["allOf"] = [*out.get("allOf", []), extra]
    return out


def _format_function(name: str) -> Callable[[str], bool]:
    def conforms(value: str) -> bool:
        return FORMAT_CHECKER.conforms(value, name)

    return conforms


_RS_FORMATS = {name: _format_function(name) for name in FORMAT_CHECKER.checkers
               if name not in INT_RANGES}


def fast_validator(schema: dict[str, Any]) -> Any | None:
    """jsonschema-rs for ``schema``, or None where it cannot compile it (the reference decides)."""
    try:
        return jsonschema_rs.Draft4Validator(_bounded(copy.deepcopy(schema)),
                                             formats=_RS_FORMATS, validate_formats=True)
    except Exception:  # a pattern or keyword jsonschema-rs does not take
        return None


class SchemaCheck:
    """One schema, compiled once: ``errors`` is empty for a valid value."""

    def __init__(self, schema: dict[str, Any], reference: Callable[[], Reference]) -> None:
        self.schema = schema
        self._fast = fast_validator(schema)
        self._reference = reference

    def _fast_says_valid(self, value: Any) -> bool:
        """jsonschema-rs's "yes"; anything it cannot take (a lone surrogate) is the reference's."""
        if self._fast is None:
            return False
        try:
            return bool(self._fast.is_valid(value))
        except Exception:  # e.g. text that is no valid UTF-8 for Rust
            return False

    def valid(self, value: Any) -> bool:
        if self._fast_says_valid(value):
            return True
        return not any(True for _ in self._reference().iter_errors(value))

    def body_errors(self, value: Any, prefix: str = "body") -> list[str]:
        """Sorted ``where: why`` details (the request body's report)."""
        if self._fast_says_valid(value):
            return []
        return schema_errors(self._reference(), value, prefix)

    def messages(self, value: Any) -> list[str]:
        """The reference's messages in its order (a parameter's report)."""
        if self._fast_says_valid(value):
            return []
        return [error.message for error in self._reference().iter_errors(value)]
