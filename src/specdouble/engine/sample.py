"""Static response bodies the way Prism builds them: the spec's own values first.

Prism's sampler takes, at every level of a schema, its ``example``, else its
``default``, else ``const``, else the first ``enum`` value, else the first of
``examples``; objects are built property by property and arrays hold one item.
Only where the spec offers no value does specdouble differ: the leaf comes from
the seeded generator, which honours ``pattern``, lengths and formats (Prism
writes ``"string"``). So a spec with examples in its schemas gives the same
body as Prism, and one without gives valid data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from specdouble.spec.resources import join_branch

Leaf = Callable[[Mapping[str, Any], str | None], Any]
MAX_DEPTH = 6


def _given(schema: Mapping[str, Any]) -> tuple[bool, Any]:
    for key in ("example", "default", "const"):
        if key in schema:
            return True, schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return True, schema["enum"][0]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return True, schema["examples"][0]
    return False, None


def _merged(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """``$ref`` followed and ``allOf`` branches merged (properties and required joined)."""
    out = dict(_deref(schema, root))
    for branch in out.pop("allOf", None) or []:
        out = join_branch(out, _merged(branch, root))
    return out


def _deref(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def static_body(schema: Mapping[str, Any], root: Mapping[str, Any], leaf: Leaf,
                name: str | None = None, depth: int = 0) -> Any:
    """A value for ``schema``: the spec's values where it has them, ``leaf`` elsewhere."""
    if "$ref" in schema and depth >= MAX_DEPTH:
        return leaf(schema, name)
    eff = _merged(schema, root)
    found, value = _given(eff)
    if found:
        return value
    branches = eff.get("oneOf") or eff.get("anyOf")
    if branches and "properties" not in eff:
        return static_body(branches[0], root, leaf, name, depth + 1)
    kind = eff.get("type")
    if (kind == "object" or "properties" in eff) and depth < MAX_DEPTH:
        return {prop: static_body(sub, root, leaf, prop, depth + 1)
                for prop, sub in (eff.get("properties") or {}).items()
                if isinstance(sub, Mapping) and not _deref(sub, root).get("writeOnly")}
    if kind == "array" and isinstance(eff.get("items"), Mapping) and depth < MAX_DEPTH \
            and eff.get("maxItems", 1) >= 1:
        count = max(1, int(eff.get("minItems", 1)))
        return [static_body(eff["items"], root, leaf, name, depth + 1) for _ in range(count)]
    return leaf(eff, name)
