"""``sort=field[:dir],...``: several dotted keys, stable, only desc/DESC descends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from specdouble.query.paths import values_at


@dataclass(frozen=True)
class SortKey:
    path: tuple[str, ...]
    descending: bool


def parse_sort(text: str | None) -> list[SortKey]:
    """Blank entries are skipped; any direction other than desc/DESC is ascending."""
    keys: list[SortKey] = []
    for part in (text or "").split(","):
        field, _, direction = part.strip().partition(":")
        field = field.strip()
        if not field:
            continue
        keys.append(SortKey(tuple(field.split(".")), direction.strip() in {"desc", "DESC"}))
    return keys


def sort_records(records: list[dict[str, Any]], keys: list[SortKey]) -> list[dict[str, Any]]:
    """A new list; ties keep their input order (Python's sort is stable).

    Sorting by the last key first and the first key last gives the
    multi-key order while each pass stays stable. Missing and null values
    rank before everything else ascending (after, descending), as in MongoDB.
    """
    out = list(records)
    for key in reversed(keys):
        out.sort(key=partial(_rank, path=key.path), reverse=key.descending)
    return out


def _rank(record: dict[str, Any], path: tuple[str, ...]) -> tuple[int, Any]:
    values = [value for value in values_at(record, path) if value is not None]
    if not values:
        return (0, 0)
    value = values[0]
    if isinstance(value, bool):
        return (2, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (3, value)
    return (4, json.dumps(value, sort_keys=True))
