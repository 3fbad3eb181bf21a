"""Dotted paths over plain dicts, descending into arrays.

``legalEntity.customerGroups.id`` on a record whose ``customerGroups`` is a
list yields every element's ``id``: conditions then hold if any value
matches, which is how the ``q`` query language treats arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def values_at(record: Any, path: Sequence[str]) -> list[Any]:
    """Every value found at ``path``; arrays are flattened at each step and at the end.

    A missing key contributes nothing, so an unknown field yields ``[]``.
    ``None`` values are kept; callers decide what null means.
    """
    # ``current`` is kept flat: each value found is flattened as it is taken.
    current: list[Any] = _flatten([record])
    for key in path:
        found: list[Any] = []
        for value in current:
            if isinstance(value, dict) and key in value:
                child = value[key]
                if isinstance(child, list):
                    found.extend(_flatten(child))
                else:
                    found.append(child)
        current = found
    return current


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flatten(value))
        else:
            out.append(value)
    return out
