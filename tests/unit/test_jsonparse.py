"""Strict JSON parsing: every refusal says where and why."""

from __future__ import annotations

import pytest

from specdouble.support.jsonparse import JSONError, parse_json


@pytest.mark.parametrize(
    ("raw", "message", "line", "column"),
    [
        (b'{"a": 01010}', "leading zeros", 1, 7),
        (b'{\n  "locationID": 01010,\n}', "leading zeros", 2, 17),
        (b'{"a": 1, "a": 2}', "duplicate key", 1, 1),
        (b'{"a": NaN}', "NaN", 1, 7),
        (b'{"a": "NaN \\" [", "b":\n [1, -Infinity]}', "-Infinity", 2, 6),
        (b"[Infinity]", "Infinity", 1, 2),
        (b"[1e999]", "too large", 1, 1),
        (b'{"a": "\xff"}', "UTF-8", 1, 8),
        (b'{\n  "x": [1,\n 2,, 3]}', "Expecting value", 3, 4),
        (b"[" * 65 + b"]" * 65, "deeper than 64", 1, 1),
        (b"[" * 5000 + b"]" * 5000, "deeper than 64", 1, 1),
        (b"1" * 5000, "", 1, 1),
    ],
)
def test_refusals(raw: bytes, message: str, line: int, column: int) -> None:
    with pytest.raises(JSONError) as caught:
        parse_json(raw)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(caught.value)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("raw", "value"),
    [(b'{"a": 0}', {"a": 0}), (b'{"a": 0.5, "b": -0}', {"a": 0.5, "b": 0}),
     (b"[10, 100]", [10, 100]), (b'\xef\xbb\xbf{"bom": true}', {"bom": True}),
     (b"[" * 64 + b"]" * 64, _nested(64))],
)
def test_accepts_valid_json(raw: bytes, value: object) -> None:
    assert parse_json(raw) == value
