"""Which store a server uses: memory unless a state URL names a Redis."""

from __future__ import annotations

from specdouble.state.base import Store
from specdouble.state.memory import MemoryStore
from specdouble.state.server_state import MemoryServerState, ServerState

SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(state_url: str | None, prefix: str, timeout: float | None = None) -> Store:
    """The store for ``state_url``; a Redis one is pinged so a bad URL fails at start.

    redis-py is imported only here, so the default memory backend costs nothing.
    """
    if not state_url:
        return MemoryStore()
    if not state_url.startswith(SCHEMES):
        raise ValueError(f"--state-url must start with one of {', '.join(SCHEMES)}, "
                         f"got {state_url!r}")
    from specdouble.state.redis import DEFAULT_TIMEOUT, RedisStore

    store = RedisStore(state_url, prefix, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
    store.ping()
    return store


def is_shared(store: Store) -> bool:
    """True for stores several processes share (optimistic: units of work may conflict)."""
    return not isinstance(store, MemoryStore)


def open_server_state(store: Store) -> ServerState:
    """The server state that lives beside ``store``: shared exactly when the store is."""
    if not is_shared(store):
        return MemoryServerState()
    from specdouble.state.redis_server_state import RedisServerState

    return RedisServerState(store)  # type: ignore[arg-type]
