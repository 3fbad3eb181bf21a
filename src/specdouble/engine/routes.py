"""The route index: (method, first literal segment) -> the few templates to try.

Lookup cost does not grow with the number of operations: a request is
compared only with the templates of its method that share its first path
segment (and its segment count). Within one bucket literal segments win
over parameters, as in Connexion's router.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

_PARAM = re.compile(r"^\{([^/{}]+)\}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Template(Generic[T]):
    """One path template split into segments: a literal, or a parameter's name."""

    literals: tuple[str | None, ...]  # None where the segment is a parameter
    names: tuple[str | None, ...]
    target: T

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: templates with literals earlier come first."""
        return tuple(0 if literal is not None else 1 for literal in self.literals)


def split_template(template: str) -> tuple[tuple[str | None, ...], tuple[str | None, ...]] | None:
    """Segments of ``/a/{b}/c``; None for a template the index cannot represent exactly."""
    literals: list[str | None] = []
    names: list[str | None] = []
    for segment in template.split("/")[1:]:
        found = _PARAM.match(segment)
        if found:
            literals.append(None)
            names.append(found[1])
        elif "{" in segment or "}" in segment:
            return None  # a parameter inside a segment: left to the router
        else:
            literals.append(segment)
            names.append(None)
    return tuple(literals), tuple(names)


class RouteIndex(Generic[T]):
    """Finds the target of ``method path`` and its path parameters, or None."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, int], list[Template[T]]] = {}
        self._wild: dict[tuple[str, int], list[Template[T]]] = {}

    def add(self, method: str, template: str, target: T) -> bool:
        """Index ``template``; False when it cannot be indexed exactly."""
        split = split_template(template)
        if split is None or not split[0]:
            return False
        literals, names = split
        entry = Template(literals, names, target)
        first = literals[0]
        if first is None:
            bucket = self._wild.setdefault((method.upper(), len(literals)), [])
        else:
            bucket = self._buckets.setdefault((method.upper(), first, len(literals)), [])
        bucket.append(entry)
        bucket.sort(key=lambda t: t.specificity)
        return True

    def find(self, method: str, path: str) -> tuple[T, dict[str, str]] | None:
        segments = path.split("/")[1:]
        count = len(segments)
        if not count:
            return None
        for bucket in (self._buckets.get((method, segments[0], count)),
                       self._wild.get((method, count))):
            if not bucket:
                continue
            for template in bucket:
                params = _match(template, segments)
                if params is not None:
                    return template.target, params
        return None


def _match(template: Template[T], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for literal, name, segment in zip(template.literals, template.names, segments, strict=True):
        if literal is not None:
            if literal != segment:
                return None
        elif not segment or _CONTROL.search(segment):
            return None  # the router's business (it explains an empty or odd segment)
        else:
            params[name or ""] = segment
    return params
