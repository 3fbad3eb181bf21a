"""The parsed form of a q query: a list of conditions, all of which must hold.

Plain frozen dataclasses so the evaluator is a small pure function and
the parser can be swapped without touching it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Operand of a comparison: a number, a date-time (from a quoted string).
Operand = float | datetime
CompareOp = Literal[">", ">=", "<", "<="]


@dataclass(frozen=True)
class Equals:
    """Exact match; ``text`` is compared with the stored value's JSON text."""

    text: str
    quoted: bool


@dataclass(frozen=True)
class Contains:
    """``~regex``: the stored string contains a match (case-insensitive).

    ``search`` is compiled once at parse time, so a bad pattern is a parse
    error with a position, and evaluation never recompiles.
    """

    pattern: str
    search: Callable[[str], bool] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    operand: Operand


@dataclass(frozen=True)
class Range:
    """``(>=10 AND <=20)``: every bound must hold for the same value."""

    bounds: tuple[Compare, ...]


@dataclass(frozen=True)
class OneOf:
    """IN-list ``("a","b")`` / ``(a,b)``."""

    items: tuple[Equals, ...]


@dataclass(frozen=True)
class Exists:
    """``exists`` (present=True), ``null`` / ``missing`` (present=False)."""

    present: bool


Predicate = Equals | Contains | Compare | Range | OneOf | Exists


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    predicate: Predicate


@dataclass(frozen=True)
class Query:
    """Conditions ANDed; the empty query matches everything."""

    conditions: tuple[Condition, ...]
