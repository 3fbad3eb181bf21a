"""Loading the hand-written specs: parsed, validated and fully resolved once.

prance resolves every ``$ref`` and validates the document with
openapi-spec-validator; the result is cached per file (and its mtime), so
many apps in one process parse each spec once. Parsing YAML in pure Python
is most of a server's start-up, so the resolved document can also be kept on
disk (``use_cache``; the command line points it at ``SPECDOUBLE_CACHE_DIR``,
default ``~/.cache/specdouble``), keyed by the file's bytes and the parser's
version: the next start of any process reads it back instead of parsing again.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import pickle
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from prance import ResolvingParser

# Bump when what is cached changes shape (the key holds the parsers' versions too).
CACHE_FORMAT = "1"


_cache: list[Path | None] = [None]  # the folder in use; None: no cache on disk


def use_cache(folder: Path | None) -> None:
    """Keep resolved specs in ``folder`` between starts (None: parse on every start)."""
    _cache[0] = folder


def cache_dir() -> Path | None:
    return _cache[0]


def _cache_key(raw: bytes) -> str:
    tools = f"{CACHE_FORMAT}:{version('prance')}:{version('openapi-spec-validator')}"
    return hashlib.sha256(tools.encode() + b"\0" + raw).hexdigest()


def _cached(folder: Path, key: str) -> dict[str, Any] | None:
    """The cached document, if this user wrote it (a file of anyone else is ignored)."""
    path = folder / f"{key}.pickle"
    try:
        if path.stat().st_uid != os.getuid():
            return None
        loaded = pickle.loads(path.read_bytes())  # our own file: its owner is checked above
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _keep(folder: Path, key: str, spec: dict[str, Any]) -> None:
    """Write the cache file atomically; a cache that cannot be written is no error."""
    with contextlib.suppress(OSError, pickle.PicklingError, RecursionError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(spec, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / f"{key}.pickle")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> dict[str, Any]:
    folder = cache_dir()
    key = ""
    if folder is not None:
        key = _cache_key(Path(path).read_bytes())
        cached = _cached(folder, key)
        if cached is not None:
            return cached
    parser = ResolvingParser(path, backend="openapi-spec-validator", strict=False)
    spec: dict[str, Any] = parser.specification
    if folder is not None:
        _keep(folder, key, spec)
    return spec


def load_spec(path: Path) -> dict[str, Any]:
    """A private deep copy of the resolved spec at ``path``."""
    return copy.deepcopy(_load(str(path.resolve()), path.stat().st_mtime))


def declared_scopes(spec: Mapping[str, Any]) -> set[str]:
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


@dataclass(frozen=True)
class Route:
    """One documented operation: where it lives and how its path matches."""

    operation_id: str
    service: str
    method: str  # upper case
    template: str
    pattern: re.Pattern[str]


class OperationIndex:
    """Every operation of the served specs, found by id or by method and path.

    The one route table outside Connexion's router: the journal and fault
    rules find the operation before routing, the response checker finds
    the spec of a response, a 405 gets its ``Allow`` header, and a path no
    route matched is explained (``unroutable``). Literal segments win over
    parameters, as in the router.
    """

    def __init__(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        self._specs = specs
        routes: list[tuple[int, Route]] = []
        self._by_id: dict[str, tuple[dict[str, Any], Mapping[str, Any]]] = {}
        self._relaxed: list[tuple[str, re.Pattern[str]]] = []
        for service, spec in specs.items():
            for template, item in spec.get("paths", {}).items():
                escaped = re.escape(template)
                strict = re.sub(r"\\\{([^/]+?)\\\}", lambda m: f"(?P<{_group(m[1])}>[^/]+)",
                                escaped)
                relaxed = re.sub(r"\\\{([^/]+?)\\\}", lambda m: f"(?P<{_group(m[1])}>.*?)",
                                 escaped)
                pattern = re.compile(f"^{strict}$")
                self._relaxed.append((template, re.compile(f"^{relaxed}$", re.DOTALL)))
                for method in HTTP_METHODS:
                    operation = item.get(method)
                    if not operation or "operationId" not in operation:
                        continue
                    op_id = operation["operationId"]
                    if op_id in self._by_id:
                        raise ValueError(f"operationId {op_id} is declared twice")
                    self._by_id[op_id] = (operation, spec)
                    routes.append((template.count("{"), Route(op_id, service, method.upper(),
                                                              template, pattern)))
        self._routes = [route for _, route in sorted(routes, key=lambda pair: pair[0])]

    def operation(self, operation_id: str) -> tuple[dict[str, Any], Mapping[str, Any]]:
        """The operation with this id and the resolved spec that holds it."""
        return self._by_id[operation_id]

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The operation ``method path`` reaches, with its path parameters."""
        method = method.upper()
        for route in self._routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                names = re.findall(r"\{([^/]+?)\}", route.template)
                return route, {name: found.group(_group(name)) for name in names}
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """The methods documented for ``path`` (the ``Allow`` header of a 405)."""
        methods = [r.method for r in self._routes if r.pattern.match(path)]
        return list(dict.fromkeys(methods))

    def documented_statuses(self, exclude: tuple[str, ...] = ()) -> dict[str, set[int]]:
        """operationId -> the statuses it documents, leaving out the ``exclude`` services."""
        return {
            route.operation_id: {int(code) for code in self.operation(route.operation_id)[0]
                                 .get("responses", {}) if str(code).isdigit()}
            for route in self._routes if route.service not in exclude
        }

    def unroutable(self, path: str) -> list[str]:
        """``path.<name>: why`` for each malformed parameter, if ``path`` fits a template.

        An empty segment, a ``/`` (``%2F``) or a control character in a path
        parameter keeps the router from matching; this says which and why.
        """
        for template, relaxed in self._relaxed:
            match = relaxed.match(path)
            if match is None:
                continue
            problems = []
            for name in re.findall(r"\{([^/]+?)\}", template):
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
