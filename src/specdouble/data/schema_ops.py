"""Flatten OpenAPI 3.0 schemas: follow local ``$ref``s and merge ``allOf``.

The generator wants one set of constraints per value ("a string of 3..8
characters matching X"), not a tree of references and intersections. An
*effective* schema is a plain dict with the merged keywords plus private
keys the generator reads:

- ``_sources``: the original schemas it came from. A value is valid exactly
  when every source accepts it, so checks never depend on the merge being
  perfect.
- ``_patterns``: every ``pattern`` that applies (a string must match all).
- ``_choices``: ``(keyword, branches, discriminator)`` for each ``oneOf`` /
  ``anyOf`` still to be decided.
- ``_allowed``: property names permitted by ``additionalProperties: false``
  (``None`` = any).
- ``_ref``: the name of the first component referenced (``Customer``), a
  context for realistic values (``name`` in ``OrderItem`` is a product).

Only one level is flattened: property and item schemas stay as they are and
are flattened when reached, which is what keeps recursive schemas finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

_PRIVATE = ("_sources", "_patterns", "_choices", "_allowed", "_ref")


class SchemaError(ValueError):
    """The schema cannot be flattened (bad or cyclic reference)."""


def resolve_ref(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    """Follow a local JSON pointer reference such as ``#/components/schemas/X``."""
    if not ref.startswith("#"):
        raise SchemaError(f"only local references are supported, got {ref!r}")
    node: Any = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SchemaError(f"unresolvable reference {ref!r}")
    if not isinstance(node, Mapping):
        raise SchemaError(f"reference {ref!r} does not point to a schema")
    return node


def effective(
    schema: Mapping[str, Any], root: Mapping[str, Any], _seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The merged constraints of ``schema`` (see the module docstring)."""
    if not isinstance(schema, Mapping):
        raise SchemaError(f"not a schema: {schema!r}")
    result = _own(schema)
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in _seen:
            raise SchemaError(f"reference cycle through {ref!r}")
        result = merge(result, effective(resolve_ref(root, ref), root, (*_seen, ref)))
        result["_ref"] = ref.rsplit("/", 1)[-1]
    for part in schema.get("allOf", []):
        result = merge(result, effective(part, root, _seen))
    result["_sources"] = [schema]
    return result


def _own(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's own keywords in effective form (no refs, no allOf)."""
    own = {k: v for k, v in schema.items() if k not in ("$ref", "allOf", "oneOf", "anyOf")}
    own["_sources"] = []
    own["_patterns"] = [own.pop("pattern")] if "pattern" in own else []
    own["_choices"] = [
        (keyword, list(schema[keyword]), schema.get("discriminator"))
        for keyword in ("oneOf", "anyOf")
        if schema.get(keyword)
    ]
    own["_allowed"] = (
        frozenset(schema.get("properties", {}))
        if schema.get("additionalProperties") is False
        else None
    )
    return own


def _lower(a: dict[str, Any], b: Mapping[str, Any]) -> None:
    """Keep the tighter of two lower bounds (OAS 3.0 boolean exclusiveMinimum)."""
    if "minimum" not in b:
        return
    new = (b["minimum"], bool(b.get("exclusiveMinimum")))
    if "minimum" in a:
        old = (a["minimum"], bool(a.get("exclusiveMinimum")))
        new = max(old, new)
    a["minimum"], a["exclusiveMinimum"] = new


def _upper(a: dict[str, Any], b: Mapping[str, Any]) -> None:
    if "maximum" not in b:
        return
    new = (b["maximum"], bool(b.get("exclusiveMaximum")))
    if "maximum" in a:
        old = (a["maximum"], bool(a.get("exclusiveMaximum")))
        # Smaller value wins; on a tie, exclusive (True) is tighter.
        new = min(old, new, key=lambda bound: (bound[0], not bound[1]))
    a["maximum"], a["exclusiveMaximum"] = new


def lcm_fraction(a: float, b: float) -> Fraction:
    """Least common multiple of two (possibly fractional) multipleOf values."""
    fa, fb = Fraction(str(a)), Fraction(str(b))
    num = math.lcm(fa.numerator * fb.denominator, fb.numerator * fa.denominator)
    return Fraction(num, fa.denominator * fb.denominator)


def _type(old: Any, new: Any) -> Any:
    return "integer" if old != new and {old, new} == {"integer", "number"} else old


def _properties(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    props = dict(old)
    for name, sub in new.items():
        props[name] = {"allOf": [props[name], sub]} if name in props else sub
    return props


def _required(old: list[str], new: list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _enum(old: list[Any], new: list[Any]) -> list[Any]:
    return [v for v in old if v in new]


def _multiple_of(old: float, new: float) -> float:
    lcm = lcm_fraction(old, new)
    return int(lcm) if lcm.denominator == 1 else float(lcm)


def _either(old: Any, new: Any) -> bool:
    return bool(old) or bool(new)


def _all_of(old: Any, new: Any) -> dict[str, Any]:
    return {"allOf": [old, new]}


def _additional(old: Any, new: Any) -> Any:
    if old is False or new is False:
        return False
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return {"allOf": [old, new]}
    return new if isinstance(new, Mapping) else old


# How a keyword both schemas carry is intersected; a keyword missing here keeps
# the first schema's value. Numeric bounds are merged by _lower/_upper.
_COMBINE: dict[str, Callable[[Any, Any], Any]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "enum": _enum,
    "minLength": max, "minItems": max, "minProperties": max,
    "maxLength": min, "maxItems": min, "maxProperties": min,
    "multipleOf": _multiple_of,
    "uniqueItems": _either, "nullable": _either, "readOnly": _either, "writeOnly": _either,
    "items": _all_of,
    "additionalProperties": _additional,
}
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _merge_private(out: dict[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """The bookkeeping keys of effective schemas: origins, patterns, choices, allowed values."""
    out["_ref"] = a.get("_ref") or b.get("_ref")
    out["_sources"] = [*a.get("_sources", []), *b.get("_sources", [])]
    out["_patterns"] = [*a.get("_patterns", []), *b.get("_patterns", [])]
    out["_choices"] = [*a.get("_choices", []), *b.get("_choices", [])]
    allowed_a, allowed_b = a.get("_allowed"), b.get("_allowed")
    if allowed_a is None or allowed_b is None:
        out["_allowed"] = allowed_a if allowed_b is None else allowed_b
    else:
        out["_allowed"] = allowed_a & allowed_b


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Intersect two effective schemas (``allOf`` semantics, best effort)."""
    out = dict(a)
    for key, value in b.items():
        if key in _PRIVATE or key in _BOUNDS:
            continue
        if key not in out:
            out[key] = value
        elif key in _COMBINE:
            out[key] = _COMBINE[key](out[key], value)
    _lower(out, b)
    _upper(out, b)
    _merge_private(out, a, b)
    return out
