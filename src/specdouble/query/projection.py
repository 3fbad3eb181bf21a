"""``fields=a,b.c``: keep only the named (dotted) fields; ``id`` always stays.

Paths go through nested objects and into arrays of objects, keeping the
structure: ``legalEntity.customerGroups.id`` keeps each group's ``id``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

# A selection tree: field -> True (keep whole value) or a deeper tree.
Tree = dict[str, Any]


def parse_fields(text: str | None) -> list[tuple[str, ...]] | None:
    """None when no projection was asked for (absent or blank)."""
    if text is None:
        return None
    paths = [tuple(part.strip().split(".")) for part in text.split(",") if part.strip()]
    cleaned = [path for path in paths if all(path)]
    return cleaned or None


def project(record: dict[str, Any], paths: list[tuple[str, ...]] | None) -> dict[str, Any]:
    return projector(paths)(record)


def projector(paths: list[tuple[str, ...]] | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """:func:`project` with ``paths`` fixed: the selection tree is built once for a page."""
    if paths is None:
        return _unchanged
    tree = _tree([*paths, ("id",)])
    return partial(_apply, tree=tree)


def _unchanged(record: dict[str, Any]) -> dict[str, Any]:
    return record


def _tree(paths: list[tuple[str, ...]]) -> Tree:
    tree: Tree = {}
    for path in paths:
        node = tree
        for index, key in enumerate(path):
            last = index == len(path) - 1
            current = node.get(key)
            if current is True:
                break
            if last:
                node[key] = True
                break
            if current is None:
                current = node[key] = {}
            node = current
    return tree


def _apply(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, child in value.items():
        selection = tree.get(key)
        if selection is None:
            continue
        if selection is True:
            out[key] = child
        elif isinstance(child, dict):
            out[key] = _apply(child, selection)
        elif isinstance(child, list):
            out[key] = [_apply(item, selection) for item in child if isinstance(item, dict)]
    return out
