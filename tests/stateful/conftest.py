"""Stateful mocks of the specs of tests/data/stateful, on both state backends.

The ``backend`` fixture of tests/conftest.py runs every test on memory and on
Redis (a real redis-server; skipped loudly when it is not installed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.engine.mock import Options
from specdouble.http.mock import MockApp, create_mock_app
from specdouble.state.base import Store
from specdouble.state.memory import MemoryStore
from tests.redisserver import suite_redis

SPECS = Path(__file__).resolve().parent.parent / "data" / "stateful"
LIBRARIES = ["library20.yaml", "library30.yaml", "library31.yaml"]


def open_store(backend: str, prefix: str | None = None) -> Store:
    """A fresh store: memory, or a key prefix of its own on the suite's redis-server."""
    if backend == "memory":
        return MemoryStore()
    from specdouble.state.redis import RedisStore

    return RedisStore(suite_redis().url, prefix=prefix or f"stateful-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def make_app(backend: str) -> Iterator[Callable[..., MockApp]]:
    """Build a stateful mock app of a spec in tests/data/stateful on the test's backend."""
    stores: list[Store] = []

    def make(name: str, store: Store | None = None, **options: Any) -> MockApp:
        if store is None:
            store = open_store(backend)
            stores.append(store)
        return create_mock_app([SPECS / name], Options(**options), stateful=True, store=store)

    yield make
    for store in stores:
        if hasattr(store, "flush"):
            store.flush()
            store.close()


@pytest.fixture
def client_for(make_app: Callable[..., MockApp]) -> Callable[..., TestClient]:
    def client(name: str, **options: Any) -> TestClient:
        return TestClient(make_app(name, **options), base_url="http://127.0.0.1:4010")
    return client


@pytest.fixture(params=LIBRARIES)
def library(request: pytest.FixtureRequest, client_for: Callable[..., TestClient]) -> TestClient:
    """The library spec in Swagger 2.0, OpenAPI 3.0 and 3.1, served stateful."""
    return client_for(str(request.param))
