"""Shared fixtures: a fresh, seeded app per test and clients for it."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import urllib.parse
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import coverage
import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
# Resolved specs are cached on disk (spec/loader.py): the suite's servers and
# workers share one cache in the temp directory, not the user's ~/.cache.
os.environ.setdefault("SPECDOUBLE_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"specdouble-test-cache-{os.getuid()}"))

from connexion import AsyncApp  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from specdouble.cli import spec_cache_dir  # noqa: E402
from specdouble.http.app import create_app  # noqa: E402
from specdouble.spec import loader  # noqa: E402
from specdouble.spec.conformance import ResponseChecker  # noqa: E402
from specdouble.world.runtime import Runtime  # noqa: E402
from specdouble.world.tenants import restart  # noqa: E402
from tests.redisserver import (  # noqa: E402, F401  (the real redis-server fixtures)
    backend_settings,
    own_server,
    redis_server,
    redis_store,
    suite_backends,
)

# The test processes read the same cache: each would otherwise parse every spec with
# prance again (seconds under coverage, at collection: tests/builtin.py loads them).
loader.use_cache(spec_cache_dir(os.environ))

ACME_ALL = {"Authorization": "Bearer acme-all"}
ACME_VIEW = {"Authorization": "Bearer acme-view"}
GLOBEX_ALL = {"Authorization": "Bearer globex-all"}
SHOPATRON = {"Authorization": "Bearer shopatron-test"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session", params=suite_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Where the state of the test apps lives: every HTTP test runs on memory and on Redis.

    ``SPECDOUBLE_TEST_BACKEND=memory`` (or ``redis``) runs one of them only.
    """
    return str(request.param)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """``coverage_off`` tests run without the tracer, which doubles their time.

    Not pytest-cov's ``no_cover``: that one fails every such test under ``--no-cov``.
    """
    paused = coverage.Coverage.current() if item.get_closest_marker("coverage_off") else None
    if paused is not None:
        paused.stop()
    try:
        yield
    finally:
        if paused is not None:
            paused.start()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--engine", choices=["compiled", "connexion"], default="compiled",
                     help="the request path of the test apps (default: compiled)")
    parser.addoption("--differential", action="store_true",
                     help="test apps serve each request both ways; a difference fails the test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that start real server processes (``live``) run first: they are the
    longest, and started last they would keep one worker busy while the other idles.

    Under pytest-xdist (``--dist loadgroup``) the tests of a module marked with an
    ``xdist_group`` run on one worker, so its module-scoped server is started once.
    """
    items.sort(key=lambda item: item.get_closest_marker("live") is None)  # stable


def engine_settings(config: pytest.Config) -> dict[str, Any]:
    return {"engine": config.getoption("--engine"),
            "differential": bool(config.getoption("--differential"))}


@pytest.fixture(scope="session")
def shared_app(backend: str, pytestconfig: pytest.Config) -> AsyncApp:
    """One app per backend for the session: building one parses the specs and seeds."""
    return create_app(backend_settings(backend, **engine_settings(pytestconfig)))


def assert_no_differences(app: Any) -> None:
    """Differential mode: every answer of the compiled path matched Connexion's."""
    differences = getattr(app.middleware, "differences", None)
    if differences:
        found = list(differences)
        differences.clear()
        pytest.fail("the compiled path differs from Connexion:\n" +
                    "\n".join(map(str, found)), pytrace=False)


@pytest.fixture
def app(shared_app: AsyncApp) -> Iterator[AsyncApp]:
    """The shared app, put back into its starting state before each test."""
    restart(shared_app.runtime)  # type: ignore[attr-defined]
    yield shared_app
    assert_no_differences(shared_app)


@pytest.fixture
def runtime(app: AsyncApp) -> Runtime:
    return app.runtime  # type: ignore[attr-defined]


# Response checkers by the specs they check. A runtime builds its own on first use
# (openapi-core reads each spec again: most of a second per app under coverage); the many
# test apps that serve the same specs share the first one's.
_CHECKERS: dict[bytes, ResponseChecker] = {}
_CHECKER_OF: dict[int, tuple[weakref.ref[Runtime], ResponseChecker]] = {}


def checker(runtime: Runtime) -> ResponseChecker:
    """The response checker for ``runtime``'s specs (shared by runtimes with equal specs)."""
    kept = _CHECKER_OF.get(id(runtime))
    if kept is None or kept[0]() is not runtime:
        key = hashlib.sha256(pickle.dumps(runtime.specs)).digest()
        shared = _CHECKERS.setdefault(key, runtime.checker)
        kept = _CHECKER_OF[id(runtime)] = (weakref.ref(runtime), shared)
    return kept[1]


# Verdicts by what they depend on: the specs (their checker), method, path, status, headers
# and body. About half the answers the suite checks are byte for byte ones checked before
# (the same reads on both backends, the same refusals); checking one costs more than the
# request did.
_VERDICTS: dict[tuple[Any, ...], list[str] | None] = {}


def violations(app: Any, response: Any) -> list[str] | None:
    """What ``response`` breaks of its spec; None when it is no documented operation's."""
    raw_path = response.request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    path = urllib.parse.unquote(raw_path)
    spec_checker = checker(app.runtime)
    key = (id(spec_checker), response.request.method, path, response.status_code,
           tuple(sorted(response.headers.multi_items())),
           hashlib.sha256(response.content).digest())
    if key not in _VERDICTS:
        _VERDICTS[key] = spec_checker.check(response.request.method, path,
                                            response.status_code, response.headers,
                                            response.content)
    found = _VERDICTS[key]
    return None if found is None else list(found)


class CheckingClient(TestClient):
    """A test client that checks every response against its spec (openapi-core).

    Every hand-written HTTP test thereby asserts conformance too; a response
    its spec does not allow fails the test that received it.
    """

    last_violations: list[str] | None = None  # of the last response: [] when it conforms

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        found = self.last_violations = violations(self.app, response)
        assert not found, (
            f"{method} {response.request.url.path} -> {response.status_code} "
            f"violates the spec: {found}"
        )
        return response


@pytest.fixture
def client(app: AsyncApp) -> Iterator[TestClient]:
    with CheckingClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def kept_apps(backend: str) -> dict[tuple[Any, ...], AsyncApp]:
    """Apps built with some settings changed, one per distinct change (and backend), kept
    for the session: see ``shared_client``."""
    return {}


@pytest.fixture
def shared_client(backend: str, pytestconfig: pytest.Config,
                  kept_apps: dict[tuple[Any, ...], AsyncApp]
                  ) -> Iterator[Callable[..., TestClient]]:
    """Like ``make_client``, on an app kept for the session and put back into its starting
    state (as ``app`` is) when handed out: for tests that need other settings, not a new app.

    A test about what building an app does (its seed, its start) uses ``make_client``;
    so does one that needs two apps with the same settings.
    """
    opened: list[TestClient] = []

    def build(**changes: Any) -> TestClient:
        changes = {**engine_settings(pytestconfig), **changes}
        key = tuple(sorted(changes.items()))
        assert all(c.app is not kept_apps.get(key) for c in opened), \
            "one shared client per settings in a test (make_client builds a second app)"
        kept = kept_apps.get(key)
        if kept is None:
            kept = kept_apps[key] = create_app(backend_settings(backend, **changes))
        restart(kept.runtime)  # type: ignore[attr-defined]
        front = kept.middleware
        if hasattr(front, "differences"):  # differential mode: nothing compared yet
            front.differences.clear()
            front.compared = 0
        return _opened(kept, opened)

    yield build
    _close(opened)


@pytest.fixture
def make_client(backend: str, pytestconfig: pytest.Config) -> Iterator[Callable[..., TestClient]]:
    """A client on an app built with some settings changed: make_client(seed=7)."""
    opened: list[TestClient] = []

    def build(**changes: Any) -> TestClient:
        changes = {**engine_settings(pytestconfig), **changes}
        return _opened(create_app(backend_settings(backend, **changes)), opened)

    yield build
    _close(opened)


def _opened(app: Any, opened: list[TestClient]) -> TestClient:
    """A started checking client on ``app``, noted in ``opened`` to be closed after the test."""
    test_client = CheckingClient(app)
    test_client.__enter__()
    opened.append(test_client)
    return test_client


def _close(opened: list[TestClient]) -> None:
    """Close the clients a test opened; a differential app must have seen no difference."""
    for test_client in opened:
        test_client.__exit__(None, None, None)
        assert_no_differences(test_client.app)
