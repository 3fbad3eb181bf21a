"""Any text is either a query or a QueryError; evaluation never raises.

A client controls ``q`` completely: anything else escaping the parser would
be a 500.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specdouble.query import QueryError, matches, parse_query

ALPHABET = st.sampled_from(list('abcXY019_.:~"()<>=, \\-AND*+?[]{}|^$'))
QUERY_LIKE = st.lists(ALPHABET, max_size=40).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "X"]), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=400, derandomize=True)
@given(st.one_of(QUERY_LIKE, st.text(max_size=40)))
def test_parse_never_fails_otherwise(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as error:
        assert error.column >= 1
        assert error.reason


@settings(max_examples=300, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "a.b", "a.c", "X.a.b", "c"]),
            st.sampled_from(
                [
                    "1",
                    '"x"',
                    "~a",
                    "(~a b)",
                    ">1",
                    '<"2024-01-01"',
                    "(>=0 AND <5)",
                    "exists",
                    "null",
                    "(1,x)",
                    "true",
                ]
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c", "X"]), JSON, max_size=4),
)
def test_matches_never_raises(conditions: list[tuple[str, str]], record: dict[str, Any]) -> None:
    query = parse_query(" ".join(f"{field}:{value}" for field, value in conditions))
    assert matches(query, record) in {True, False}
