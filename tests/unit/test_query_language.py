"""The q language alone: a table of (query, record, expected match), then errors."""

from __future__ import annotations

from typing import Any

import pytest

from specdouble.query import QueryError, matches, parse_query

ASSIGNMENT: dict[str, Any] = {
    "id": "627e06ecf0452c2d6c0b81391",
    "legalEntity": {
        "id": "123e06ecf0452c2d6c0b81390",
        "name": "Company name",
        "type": "COMPANY",
        "accountLimit": {"currency": "EUR", "value": 1000.99},
        "customerGroups": [
            {"id": "cg-1", "name": {"en": "Customer group 1", "fr": "Groupe de clients 1"}},
            {"id": "cg-2", "name": {"en": "Customer group 2", "fr": "Groupe de clients 2"}},
        ],
        "entitiesAddresses": [
            {"id": "a1", "contactDetails": {"tags": ["shipping", "billing"], "city": "South Bend"}},
        ],
    },
    "customer": {"id": "c-1", "name": "John", "surname": "Doe Smith", "email": None},
    "type": "BILLING",
    "primary": True,
    "rank": 7,
    "ratio": 0.5,
    "locDescription": {"fr": "Description traduction française 02", "en": "Translated 02"},
    "metadata": {
        "createdAt": "2022-03-31T13:18:02.379Z",
        "modifiedAt": "2022-05-31T13:18:02.379Z",
        "version": 2,
    },
}

CASES: list[tuple[str, bool]] = [
    # exact match, bare
    ("type:BILLING", True),
    ("type:PRIMARY", False),
    ("type:billing", False),  # exact means case-sensitive
    ("id:627e06ecf0452c2d6c0b81391", True),
    # exact match, quoted (spaces, escapes)
    ('legalEntity.name:"Company name"', True),
    ('legalEntity.name:"Company"', False),
    ('customer.surname:"Doe Smith"', True),
    ('customer.name:"Jo\\"hn"', False),
    # localized field
    ('locDescription.fr:"Description traduction française 02"', True),
    ('locDescription.en:"Description traduction française 02"', False),
    # nested objects
    ("legalEntity.accountLimit.currency:EUR", True),
    ("legalEntity.accountLimit.value:1000.99", True),
    # arrays: any element matches
    ("legalEntity.customerGroups.id:cg-2", True),
    ("legalEntity.customerGroups.id:cg-3", False),
    ('legalEntity.customerGroups.name.en:"Customer group 1"', True),
    ("legalEntity.entitiesAddresses.contactDetails.tags:billing", True),
    ("legalEntity.entitiesAddresses.contactDetails.tags:~ship", True),
    # regex contains, case-insensitive
    ("customer.name:~John", True),
    ("customer.name:~john", True),
    ("customer.name:~^Jo", True),
    ("customer.name:~ohn$", True),
    ("customer.name:~Jack", False),
    ("customer.surname:(~doe sm)", True),
    ("customer.surname:(~Doe  Smith)", False),
    ("customer.surname:(~(Doe|Roe) Smith)", True),
    ("rank:~7", False),  # ~ applies to strings only
    # numbers: equality and comparisons
    ("rank:7", True),
    ("rank:7.0", True),
    ("rank:8", False),
    ("rank:>6", True),
    ("rank:>7", False),
    ("rank:>=7", True),
    ("rank:<7", False),
    ("rank:<=7", True),
    ("ratio:<1", True),
    ("metadata.version:>=2", True),
    # ranges
    ("rank:(>=5 AND <=10)", True),
    ("rank:(>7 AND <=10)", False),
    ("rank:( >=5 and <=10 )", True),
    ("legalEntity.customerGroups.id:(>=1 AND <=9)", False),  # numbers never match strings
    # dates, quoted
    ('metadata.createdAt:>"2022-01-01T00:00:00Z"', True),
    ('metadata.createdAt:<"2022-01-01T00:00:00Z"', False),
    ('metadata.createdAt:(>"2019-01-06T10:29:30.602Z" AND <"2022-04-01T00:00:00.000Z")', True),
    ('metadata.createdAt:(>"2019-01-06T10:29:30.602Z" AND <"2020-01-07T10:29:30.602Z")', False),
    ('metadata.createdAt:>="2022-03-31T13:18:02.379Z"', True),
    ('metadata.createdAt:>"2022-03-31T14:18:02.379+02:00"', True),  # offset respected
    ('metadata.createdAt:>"2022-03-31T15:18:02.379+02:00"', False),  # same instant
    ('metadata.createdAt:>"2022-03-31"', True),  # date only
    ('legalEntity.name:>"2000-01-01"', False),  # not a date-time string
    ('rank:>"2000-01-01"', False),  # date operand never matches a number
    # booleans
    ("primary:true", True),
    ("primary:false", False),
    ('primary:"true"', True),
    # exists / null / missing
    ("customer.name:exists", True),
    ("customer.phone:exists", False),
    ("customer.email:exists", False),  # null counts as absent
    ("customer.phone:null", True),
    ("customer.phone:missing", True),
    ("customer.email:null", True),
    ("customer.name:missing", False),
    ("legalEntity.customerGroups.id:exists", True),
    # IN-lists
    ('customer.name:("John","Jack","James")', True),
    ('customer.name:("Jack","James")', False),
    ("type:(PRIMARY,BILLING)", True),
    ("type:(PRIMARY, LOGISTICS)", False),
    ("rank:(1,7)", True),
    ('legalEntity.customerGroups.id:("x", "cg-1")', True),
    ('customer.name:("null")', False),
    # several conditions ANDed
    ('customer.name:"John" customer.surname:~Smith', True),
    ("customer.name:John type:PRIMARY", False),
    ("type:BILLING primary:true rank:>1", True),
    ("  type:BILLING   primary:true  ", True),
    # unknown fields match nothing (except asking for absence)
    ("nosuch:x", False),
    ("nosuch.deeper:~x", False),
    ("nosuch:>1", False),
    ("nosuch:missing", True),
    ("customer.name.en:John", False),  # path through a string
    # empty query matches everything
    ("", True),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] or "<empty>" for case in CASES])
def test_query_matches(text: str, expected: bool) -> None:
    assert matches(parse_query(text), ASSIGNMENT) is expected


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40


ERRORS: list[tuple[str, int, str, str]] = [
    # (query, column, words in the reason, words in the expected list)
    ("type", 5, "end of query", "':'"),
    ("type:", 6, "end of query", "a value"),
    (":BILLING", 1, "unexpected ':'", "a field name"),
    ("type BILLING", 5, "space", "':'"),
    ('name:"Exact', 6, "unterminated quoted string", "'\"'"),
    ("rank:>x", 7, "unexpected 'x'", "a number"),
    ("rank:>", 7, "end of query", "a number"),
    ('rank:>"yesterday"', 7, "cannot compare with 'yesterday'", "quoted date-time"),
    ("rank:(>1 OR <5)", 9, "space", "'AND'"),
    ("rank:(>1 AND)", 9, "", ""),
    ("name:(a,", 9, "end of query", "a value"),
    ("name:(a b)", 8, "space", "','"),
    ("name:(", 7, "end of query", "a value"),
    ("name:a)", 7, "unexpected ')'", "a space before the next condition"),
    ("name:(~John", 6, "unterminated '(~' regular expression", "')'"),
    ("name:~(", 6, "invalid regular expression", "a valid regular expression"),
    ("name:~a{2,1}", 6, "invalid regular expression", "a valid regular expression"),
    ("  type", 7, "end of query", "':'"),  # columns count from the original text
    ("a:b c:d e", 10, "end of query", "':'"),
]


@pytest.mark.parametrize(("text", "column", "reason", "expected"), ERRORS)
def test_malformed_queries_say_where_and_what(
    text: str, column: int, reason: str, expected: str
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert error.column == column, error.describe()
    assert reason in error.reason
    assert expected in " ".join(error.expected)
    assert f"at column {column}" in str(error)


def test_keywords_are_plain_values_inside_quotes() -> None:
    record = {"name": "null"}
    assert matches(parse_query('name:"null"'), record)
    assert not matches(parse_query("name:null"), record)


def test_overlong_query_is_an_error_not_work() -> None:
    with pytest.raises(QueryError):
        parse_query("a:b " * 2000)
