"""Loading the hand-written specs: parsed, validated and fully resolved once.

prance resolves every ``$ref`` and validates the document with
openapi-spec-validator; the result is cached per file (and its mtime), so
many apps in one process parse each spec once.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from prance import ResolvingParser


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> dict[str, Any]:
    parser = ResolvingParser(path, backend="openapi-spec-validator", strict=False)
    return parser.specification


def load_spec(path: Path) -> dict[str, Any]:
    """A private deep copy of the resolved spec at ``path``."""
    return copy.deepcopy(_load(str(path.resolve()), path.stat().st_mtime))


def declared_scopes(spec: dict[str, Any]) -> set[str]:
    """Every OAuth2 scope the spec's security schemes declare."""
    scopes: set[str] = set()
    for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            scopes.update((flow.get("scopes") or {}).keys())
    return scopes


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation of ``spec``."""
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                out.append((method, path, item[method]))
    return out


class PathIndex:
    """The documented path templates, to answer for paths no route matched.

    ``allowed_methods`` feeds the ``Allow`` header of a 405; ``unroutable``
    explains why a path that has the shape of a documented one was not
    routed: a path parameter that is empty, holds a ``/`` (``%2F``) or a
    control character (the router matches neither).
    """

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        self._entries: list[tuple[str, re.Pattern[str], re.Pattern[str], list[str]]] = []
        for spec in specs:
            for template, item in spec.get("paths", {}).items():
                escaped = re.escape(template)
                strict = re.sub(r"\\\{([^/]+?)\\\}", "[^/]+", escaped)
                relaxed = re.sub(r"\\\{([^/]+?)\\\}", lambda m: f"(?P<{_group(m[1])}>.*?)",
                                 escaped)
                methods = [m.upper() for m in item if m in HTTP_METHODS]
                self._entries.append((template, re.compile(f"^{strict}$"),
                                      re.compile(f"^{relaxed}$", re.DOTALL), methods))

    def allowed_methods(self, path: str) -> list[str]:
        for _, strict, _, methods in self._entries:
            if strict.match(path):
                return methods
        return []

    def unroutable(self, path: str) -> list[str]:
        """``path.<name>: why`` for each malformed parameter, if ``path`` fits a template."""
        for template, _, relaxed, _ in self._entries:
            match = relaxed.match(path)
            if match is None:
                continue
            names = re.findall(r"\{([^/]+?)\}", template)
            problems = []
            for name in names:
                value = match.group(_group(name))
                if value == "":
                    problems.append(f"path.{name}: must not be empty")
                elif "/" in value:
                    problems.append(f"path.{name}: must not contain '/'")
                elif _CONTROL.search(value):
                    problems.append(f"path.{name}: must not contain control characters")
            if problems:
                return problems
        return []


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)
