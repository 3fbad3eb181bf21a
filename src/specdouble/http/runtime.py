"""The per-app objects handlers need (store, tokens, settings), found per request.

Several apps can live in one process (tests, the pytest plugin), so the
runtime is not a module global: a middleware puts the app's runtime into a
context variable for the duration of each request.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from specdouble.data.fixtures import Fixtures
from specdouble.domain.auth import TokenRegistry
from specdouble.settings import Settings
from specdouble.state.base import Store

_current: ContextVar[Runtime] = ContextVar("specdouble_runtime")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    tokens: TokenRegistry
    fixtures: Fixtures
    seeders: dict[str, Any]
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Background tasks (delayed jobs) kept referenced until they finish.
    tasks: set[Any] = field(default_factory=set)

    @cached_property
    def _path_methods(self) -> list[tuple[re.Pattern[str], list[str]]]:
        table = []
        for spec in self.specs.values():
            for template, item in spec.get("paths", {}).items():
                pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
                methods = [m.upper() for m in item if m in _METHODS]
                table.append((re.compile(f"^{pattern}$"), methods))
        return table

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the specs document for ``path`` (for the ``Allow`` header)."""
        for pattern, methods in self._path_methods:
            if pattern.match(path):
                return methods
        return []


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def get_runtime() -> Runtime:
    return _current.get()


def set_runtime(runtime: Runtime) -> Any:
    return _current.set(runtime)


def reset_runtime(token: Any) -> None:
    _current.reset(token)
