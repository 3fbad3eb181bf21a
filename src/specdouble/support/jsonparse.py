"""Strict JSON parsing for request bodies, with errors that say where and why.

Python's ``json`` accepts things JSON does not (NaN, Infinity, duplicate
keys silently merged) and its messages do not explain leading zeros. Every
error here carries a line and column, so a client can find its mistake.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import orjson

MAX_DEPTH = 64


@dataclass
class JSONError(Exception):
    message: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"Malformed JSON at line {self.line}, column {self.column}: {self.message}"


def _position(doc: str, pos: int) -> tuple[int, int]:
    line = doc.count("\n", 0, pos) + 1
    column = pos - (doc.rfind("\n", 0, pos) + 1) + 1
    return line, column


class _ConstantError(ValueError):
    """NaN/Infinity met by the decoder; carries the token so its place can be found."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not a valid JSON value")
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def _outside_strings(doc: str, token: str) -> int:
    """Index of the first ``token`` not inside a string literal; 0 when absent.

    The decoder reports no position for the constants it hands to its hook;
    the document parsed fine up to there, so the first bare occurrence is it.
    """
    in_string = escaped = False
    for index, char in enumerate(doc):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif doc.startswith(token, index):
            return index
    return 0


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _explain(doc: str, err: json.JSONDecodeError) -> JSONError:
    pos = err.pos
    if (
        0 < pos < len(doc)
        and doc[pos].isdigit()
        and doc[pos - 1] == "0"
        and (pos < 2 or not (doc[pos - 2].isdigit() or doc[pos - 2] in ".eE+"))
    ):
        line, column = _position(doc, pos - 1)
        return JSONError("JSON numbers cannot have leading zeros", line, column)
    line, column = _position(doc, pos)
    return JSONError(err.msg, line, column)


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode UTF-8 ``raw`` as one strict JSON document.

    Raises :class:`JSONError` for invalid UTF-8, syntax errors, NaN/Infinity,
    numbers too large for a double, duplicate keys and nesting deeper than
    ``max_depth``.
    """
    try:
        doc = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        prefix = raw[: err.start].decode("utf-8", errors="replace")
        line, column = _position(prefix, len(prefix))
        raise JSONError("the body is not valid UTF-8", line, column) from None
    if doc.startswith("\ufeff"):
        doc = doc[1:]
    try:
        value = json.loads(
            doc,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as err:
        raise _explain(doc, err) from None
    except RecursionError:
        raise JSONError(f"nesting deeper than {max_depth} levels") from None
    except _ConstantError as err:
        line, column = _position(doc, _outside_strings(doc, err.name))
        raise JSONError(str(err), line, column) from None
    except ValueError as err:  # from the hooks, or an integer with too many digits
        raise JSONError(str(err)) from None
    if not _depth_ok(value, max_depth):
        raise JSONError(f"nesting deeper than {max_depth} levels")
    return value


def is_whole_number(value: object) -> bool:
    """An integer as JSON Schema 2020-12 and Jackson read one: ``1`` and ``1.0``, not ``true``."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def as_integer(value: Any) -> Any:
    """A whole number written as ``1.0`` as the int it means; anything else unchanged.

    Request validation lets ``1.0`` through where an integer is expected, so the
    rules store and answer ``1``, as a Java backend reading it into an int would.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def dumps(value: Any) -> bytes:
    """Encode ``value`` as JSON bytes: orjson, or the standard library for what it refuses.

    orjson rejects integers beyond 64 bits, which a client may legitimately
    store (a schema without ``format`` allows them) and must get back intact.
    """
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
