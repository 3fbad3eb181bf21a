"""Loading the hand-written specs: parsed, validated and fully resolved once.

prance resolves every ``$ref`` and validates the document with
openapi-spec-validator; the result is cached per file (and its mtime), so
many apps in one process parse each spec once.
"""

from __future__ import annotations

import copy
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
