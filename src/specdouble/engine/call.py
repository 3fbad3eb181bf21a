"""The request a handler is serving, when the compiled path called it.

Handlers ask ``http/respond.py`` for the caller and for headers; it looks
here first and falls back to Connexion's request context.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from specdouble.world.auth import Principal


class Headers(dict[str, str]):
    """Request headers by lower-case name (the first value of each), looked up in any case."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class Call:
    headers: Headers
    principal: Principal | None


current_call: ContextVar[Call | None] = ContextVar("specdouble_engine_call", default=None)
