"""Does a record satisfy a :class:`Query`? Pure functions over plain dicts.

Typing rule: the query text is compared with the stored value in the
stored value's own type (bool -> ``true``/``false``, number -> numeric
equality, string -> exact text). Comparisons work on numbers, and on
strings holding date-times when the operand is a quoted date-time. A
condition on a field the record lacks (unknown field included) matches
nothing, except ``null`` / ``missing``, which ask exactly for that.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from specdouble.query.ast import (
    Compare,
    Condition,
    Contains,
    Equals,
    Exists,
    OneOf,
    Predicate,
    Query,
    Range,
)
from specdouble.query.paths import values_at
from specdouble.support.clock import parse_iso


def matches(query: Query, record: dict[str, Any]) -> bool:
    return all(condition_holds(condition, record) for condition in query.conditions)


def condition_holds(condition: Condition, record: dict[str, Any]) -> bool:
    values = values_at(record, condition.path)
    predicate = condition.predicate
    if isinstance(predicate, Exists):
        present = any(value is not None for value in values)
        return present is predicate.present
    return any(_value_holds(predicate, value) for value in values if value is not None)


def _value_holds(predicate: Predicate, value: Any) -> bool:
    if isinstance(predicate, Equals):
        return equals(predicate.text, value)
    if isinstance(predicate, OneOf):
        return any(equals(item.text, value) for item in predicate.items)
    if isinstance(predicate, Contains):
        return isinstance(value, str) and predicate.search(value)
    if isinstance(predicate, Compare):
        return compare(predicate, value)
    if isinstance(predicate, Range):
        return all(compare(bound, value) for bound in predicate.bounds)
    return False


def equals(text: str, value: Any) -> bool:
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, int | float):
        number = _number(text)
        return number is not None and number == value
    if isinstance(value, str):
        return text == value
    return False


def compare(bound: Compare, value: Any) -> bool:
    operand = bound.operand
    left: float | datetime
    if isinstance(operand, datetime):
        if not isinstance(value, str):
            return False
        try:
            left = parse_iso(value)
        except ValueError:
            return False
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        left = float(value)
    op = bound.op
    if op == ">":
        return left > operand  # type: ignore[operator]
    if op == ">=":
        return left >= operand  # type: ignore[operator]
    if op == "<":
        return left < operand  # type: ignore[operator]
    return left <= operand  # type: ignore[operator]


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
