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


def forgetting_fails(monkeypatch: pytest.MonkeyPatch, build: Callable[[], Any],
                     settings: Any) -> str:
    """Run the Schemathesis state machine ``build`` makes on a mock that forgets every
    record it created (a read is always a 404); the failure it reports, which a test
    must see. The mock is built after the patch (it binds its handlers when built)."""
    from hypothesis import settings as hypothesis_settings
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation.stateful import run_state_machine_as_test

    from specdouble.engine.stateful import Stateful

    def forgetful(self: Stateful, tx: Any, checked: Any, collection: Any) -> Any:
        return self._missing(checked, collection.path, "any")

    monkeypatch.setattr(Stateful, "_read", forgetful)
    assert isinstance(settings, hypothesis_settings)
    with pytest.raises(FailureGroup) as failed:
        run_state_machine_as_test(build(), settings=settings)
    return str(failed.value)


def recording_machine(schema: Any, checks: list[Any], calls: list[tuple[str, int]],
                      before_each: Callable[[], None] | None = None) -> Any:
    """``schema``'s state machine, checking every answer with ``checks`` and noting
    ("METHOD path template", status) in ``calls``; ``before_each`` runs before each
    scenario (e.g. an empty store)."""
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            if before_each is not None:
                before_each()

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            calls.append((f"{case.method} {case.operation.path}", response.status_code))
            case.validate_response(response, checks=checks, recorder=self.recorder,
                                   transport_kwargs=kwargs or None)

    return Machine
