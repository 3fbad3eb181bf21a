"""Sorting, field projection and the bounded regex engine behind ``~``."""

from __future__ import annotations

from typing import Any

import pytest

from specdouble.query import matches, parse_fields, parse_query, parse_sort, project, sort_records
from specdouble.query import regex as bounded

ROWS: list[dict[str, Any]] = [
    {"id": "a", "name": "Beta", "rank": 2, "meta": {"at": "2022-01-02"}},
    {"id": "b", "name": "alpha", "rank": 1, "meta": {"at": "2022-01-01"}},
    {"id": "c", "name": "Beta", "rank": 1},
    {"id": "d", "name": "Alpha", "rank": 2, "meta": {"at": "2022-01-03"}},
]


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["a", "b", "c", "d"]),
        ("rank", ["b", "c", "a", "d"]),  # stable: ties keep input order
        ("rank:desc", ["a", "d", "b", "c"]),
        ("rank:DESC", ["a", "d", "b", "c"]),
        ("rank:Desc", ["b", "c", "a", "d"]),  # only desc/DESC descend
        ("rank:asc", ["b", "c", "a", "d"]),
        ("rank:whatever", ["b", "c", "a", "d"]),
        ("name,rank:desc", ["d", "a", "c", "b"]),  # code-point order: 'B' < 'a'
        ("rank:desc,name", ["d", "a", "c", "b"]),
        ("meta.at", ["c", "b", "a", "d"]),  # missing first ascending
        ("meta.at:desc", ["d", "a", "b", "c"]),  # and last descending
        (" rank , ,name ", ["c", "b", "d", "a"]),
        ("nosuch", ["a", "b", "c", "d"]),
    ],
)
def test_sort(sort: str, expected: list[str]) -> None:
    assert ids(sort_records(ROWS, parse_sort(sort))) == expected


def test_sort_does_not_mutate_input() -> None:
    before = ids(ROWS)
    sort_records(ROWS, parse_sort("rank:desc"))
    assert ids(ROWS) == before


def test_sort_mixed_types_does_not_crash() -> None:
    rows = [{"id": "1", "v": "x"}, {"id": "2", "v": 3}, {"id": "3", "v": True}, {"id": "4"}]
    assert ids(sort_records(rows, parse_sort("v"))) == ["4", "2", "3", "1"]


RECORD: dict[str, Any] = {
    "id": "x1",
    "type": "BILLING",
    "legalEntity": {
        "id": "le",
        "name": "Company",
        "customerGroups": [
            {"id": "g1", "name": {"en": "One"}},
            {"id": "g2", "name": {"en": "Two"}},
        ],
    },
    "metadata": {"version": 1, "createdAt": "2022-03-31T13:18:02.379Z"},
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (None, RECORD),
        ("", RECORD),
        (" , ", RECORD),
        ("type", {"id": "x1", "type": "BILLING"}),
        ("id", {"id": "x1"}),
        ("nosuch", {"id": "x1"}),
        ("metadata.version", {"id": "x1", "metadata": {"version": 1}}),
        (
            "legalEntity.name,legalEntity.customerGroups.id",
            {
                "id": "x1",
                "legalEntity": {"name": "Company", "customerGroups": [{"id": "g1"}, {"id": "g2"}]},
            },
        ),
        (
            "legalEntity.customerGroups.name.en,legalEntity.customerGroups",
            {
                "id": "x1",
                "legalEntity": {"customerGroups": RECORD["legalEntity"]["customerGroups"]},
            },
        ),
        ("type.deeper", {"id": "x1"}),
    ],
)
def test_project(fields: str | None, expected: dict[str, Any]) -> None:
    assert project(RECORD, parse_fields(fields)) == expected


def test_project_keeps_record_key_order() -> None:
    projected = project(RECORD, parse_fields("type,id"))
    assert list(projected) == ["id", "type"]


def test_catastrophic_pattern_is_answered() -> None:
    # (a+)+$ against a long run of a's followed by b backtracks exponentially in
    # a backtracking engine; RE2 is linear.
    record = {"name": "a" * 5000 + "b"}
    assert matches(parse_query("name:~(a+)+$"), record) is False


def test_stacked_stars_run_in_linear_time() -> None:
    """``a*a*a*a*a*b`` passed the old fallback's check and ran for seconds."""
    assert matches(parse_query("name:~a*a*a*a*a*b"), {"name": "a" * 10_000}) is False


def test_no_backtracking_fallback_without_re2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without google-re2 the module refuses to load instead of falling back to ``re``."""
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "re2", None)  # import re2 -> ImportError
    monkeypatch.delitem(sys.modules, "specdouble.query.regex")
    with pytest.raises(ImportError, match="google-re2"):
        importlib.import_module("specdouble.query.regex")


def test_overlong_pattern_refused() -> None:
    with pytest.raises(ValueError, match="longer than"):
        bounded.compile_contains("a" * (bounded.MAX_PATTERN + 1))
