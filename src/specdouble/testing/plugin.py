"""pytest plugin: a real specdouble server for your own tests.

Installed with the package and registered under the ``pytest11`` entry point,
so ``pip install specdouble`` is all it takes; no ``conftest.py`` import.

Fixtures
    ``specdouble_server`` (session): one server for the whole test session, on a
    free loopback port (or ``--specdouble-port``), in a background thread of the
    test process, started when a test first asks for it and stopped when the
    session ends (building the app parses every spec and seeds the tenants, so
    once is enough).
    ``specdouble`` (function): the same server, put back into its starting state
    before each test (tenants reseeded, tenants created on demand dropped, journal
    and fault rules cleared), then the test's ``@pytest.mark.specdouble(...)``
    applied. Use this one unless a test really wants to see what earlier tests did.
    A marker with ``seed=`` or ``port=`` gets a server of its own with those
    settings instead (one per distinct seed and port, kept for the session).

Both yield a :class:`SpecDouble`: ``.url``, ``.tokens``, ``.client`` and helpers
that call the server's HTTP admin API (``/__admin``, specs/admin.yaml).

Options (command line, or the same name with underscores in the ini file)
    ``--specdouble-seed N``      seed of the generated data (default: the server's)
    ``--specdouble-port N``      port of the server (default: 0, any free port)
    ``--specdouble-fixtures DIR`` fixture folder (default: the bundled fixtures)
    ``--specdouble-specs DIR``    spec folder (default: the bundled specs)
    ``--specdouble-url URL``      use a server that is already running (a container,
                                 another host) instead of starting one
    ``--specdouble-admin-token T`` admin token of that server (``--admin-token``)

Nothing heavy is imported until a fixture is used: the plugin loads in every
pytest run of an environment where specdouble is installed.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx
    import uvicorn

__all__ = ["SpecDouble", "SpecDoubleError", "SpecDoubleServer", "Tokens"]

START_TIMEOUT = 60.0  # seconds; building the app seeds every tenant, slow CI machines exist
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 30.0

# Rule keys accepted in snake_case by add_fault() and the marker, as POST /__admin/faults
# spells them.
_FAULT_KEYS = {"operation_id": "operationId", "delay_ms": "delayMs"}
_JOURNAL_KEYS = {"operation_id": "operationId"}


class SpecDoubleError(Exception):
    """The admin API refused a helper's request; ``status`` and ``body`` say why."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Tokens:
    """The static bearer tokens of the default fixtures (``fixtures/auth.yaml``)."""

    acme_all: str = "acme-all"
    """Tenant acme, every scope of every service of its realm."""
    acme_view: str = "acme-view"
    """Tenant acme, only the read/view scopes."""
    globex_all: str = "globex-all"
    """Tenant globex, every scope."""
    shopatron: str = "shopatron-test"
    """Tenant acme, the realm whose clients also send an ``API-Key`` header."""


def bearer(token: str) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}``, the header every mocked API wants."""
    return {"Authorization": f"Bearer {token}"}


def _renamed(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in values.items()}


class SpecDouble:
    """A running specdouble server and the admin helpers tests need.

    Every helper is one call to the HTTP admin API, so it works the same against
    the in-process server and against one started elsewhere (``--specdouble-url``).
    """

    tokens: Tokens = Tokens()

    def __init__(self, url: str, admin_token: str | None = None) -> None:
        import httpx

        # Base URL, e.g. http://127.0.0.1:53121: where your client has the real API's host.
        self.url = url.rstrip("/")
        admin_headers = bearer(admin_token) if admin_token else {}
        self._admin = httpx.Client(base_url=self.url, headers=admin_headers,
                                   timeout=HTTP_TIMEOUT)
        self._client: httpx.Client | None = None

    # --- plain access -----------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """An ``httpx.Client`` on :attr:`url` (no auth header: pass ``headers=``)."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT)
        return self._client

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        """Headers for ``token``: ``sd.client.get(path, headers=sd.auth(sd.tokens.acme_all))``."""
        return bearer(token)

    def close(self) -> None:
        """Close the HTTP clients (the server itself is stopped by its owner)."""
        self._admin.close()
        if self._client is not None:
            self._client.close()

    # --- admin API ----------------------------------------------------------------------

    def _call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self._admin.request(method, path, **kwargs)
        if response.status_code != expect:
            raise SpecDoubleError(method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        """``GET /__admin/health``: version, seed, tenants, journal size, fault count."""
        return self._call("GET", "/__admin/health", 200)

    def reset(self, tenant: str | None = None) -> list[str]:
        """Back to the starting state; returns the tenants reseeded.

        Without ``tenant``: drops the tenants created on demand, reseeds the others,
        empties the journal and removes every fault rule (what the ``specdouble``
        fixture does before each test). With ``tenant``: reseeds only that tenant.
        """
        if tenant is not None:
            return self._call("POST", "/__admin/reset", 200, params={"tenant": tenant})["reset"]
        for summary in self._call("GET", "/__admin/tenants", 200)["tenants"]:
            if not summary["default"]:
                self.delete_tenant(summary["name"])
        self.clear_faults()
        self.clear_journal()
        return self._call("POST", "/__admin/reset", 200)["reset"]

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """Recorded requests to the mocked APIs, newest first.

        Filters as ``GET /__admin/requests`` takes them: ``operation_id`` (or
        ``operationId``), ``method``, ``path`` (glob, ``*`` spans ``/``), ``status``,
        ``tenant``, ``limit``. Each entry has method, path, query, tenant,
        operationId, status, request/response bodies (cut), validation, forced, fault.
        """
        params = {k: v for k, v in _renamed(filters, _JOURNAL_KEYS).items() if v is not None}
        return self._call("GET", "/__admin/requests", 200, params=params)["requests"]

    def clear_journal(self) -> None:
        """Empty the request journal."""
        self._call("DELETE", "/__admin/requests", 204)

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule; returns it with its ``id``.

        Matchers: ``operation_id``, ``method`` + ``path`` glob, ``tenant``. Effects:
        ``status`` (answered with the body the operation documents for it),
        ``delay_ms``, ``fault="connection_reset" | "empty_response"``; with
        ``probability`` (0..1) and ``times``. camelCase keys work too.
        Example: ``sd.add_fault(operation_id="addAssignee", status=409, times=1)``.
        """
        return self._call("POST", "/__admin/faults", 201, json=_renamed(rule, _FAULT_KEYS))

    def faults(self) -> list[dict[str, Any]]:
        """The active fault rules, in the order they are tried."""
        return self._call("GET", "/__admin/faults", 200)["faults"]

    def remove_fault(self, fault_id: str) -> None:
        """Remove one fault rule by its id."""
        self._call("DELETE", f"/__admin/faults/{fault_id}", 204)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/__admin/faults", 204)

    def export_state(self, tenant: str) -> dict[str, Any]:
        """A tenant's data, ``{"tenant": ..., "collections": {name: {id: record}}}``."""
        return self._call("GET", f"/__admin/state/{tenant}", 200)

    def load_state(self, tenant: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a tenant's data; returns the record count per collection.

        ``data`` is an :meth:`export_state` document or just its ``collections``
        mapping. Records are validated against the specs: an invalid one raises
        :class:`SpecDoubleError` (400) and leaves the tenant as it was.
        """
        document = dict(data) if "collections" in data else {"collections": dict(data)}
        return self._call("PUT", f"/__admin/state/{tenant}", 200, json=document)

    def create_tenant(self, name: str, seed: int | None = None) -> dict[str, Any]:
        """A freshly seeded tenant; returns its tokens, OAuth clients and keys, per realm."""
        body: dict[str, Any] = {"name": name}
        if seed is not None:
            body["seed"] = seed
        return self._call("POST", "/__admin/tenants", 201, json=body)

    def delete_tenant(self, name: str) -> None:
        """Drop a tenant created on demand (the default ones can only be reset)."""
        self._call("DELETE", f"/__admin/tenants/{name}", 204)

    def outbox(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Emails recorded instead of sent (``sendEmails: true``)."""
        params = {"tenant": tenant} if tenant else {}
        return self._call("GET", "/__admin/outbox", 200, params=params)["emails"]

    def __repr__(self) -> str:
        return f"SpecDouble({self.url!r})"


class SpecDoubleServer:
    """The mock server in a background thread of this process, on a free loopback port.

    A thread, not a subprocess: the app is built here, so a bad option fails in
    the test run with its own traceback, and nothing is imported twice. uvicorn
    runs its own event loop in the thread; ``stop()`` asks it to finish the
    requests in flight and waits for the thread. Usable without pytest::

        with SpecDoubleServer(seed=7) as sd:
            httpx.get(sd.url + "/", headers=sd.auth("acme-all"))
    """

    def __init__(self, *, seed: int | None = None, fixtures: Path | None = None,
                 specs: Path | None = None, port: int = 0, **settings: Any) -> None:
        self._options: dict[str, Any] = dict(settings)
        self.port = port
        if seed is not None:
            self._options["seed"] = seed
        if fixtures is not None:
            self._options["fixtures_dir"] = Path(fixtures)
        if specs is not None:
            self._options["specs_dir"] = Path(specs)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self.handle: SpecDouble | None = None

    def start(self) -> SpecDouble:
        """Build the app, serve it, and return once it answers over HTTP."""
        # Connexion and jsonschema warn about their own deprecations on import: not the
        # user's business, and fatal in suites that run with -W error.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            import uvicorn

            from specdouble.http.app import create_app
            from specdouble.http.server import bind
            from specdouble.support.settings import Settings

            settings = Settings(**{"host": "127.0.0.1", **self._options, "port": self.port})
            # Bound first: a port in use fails here, clearly, before the slow build.
            sock = bind(settings.host, settings.port)
            try:
                app = create_app(settings)
            except BaseException:
                sock.close()
                raise
        # log_config=None: leave the test suite's logging alone (pytest captures ours)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                                log_level="warning", access_log=False, lifespan="off")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,),
                                        name="specdouble-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"specdouble server failed to start: {self._failure!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"specdouble server did not start in {START_TIMEOUT:.0f} s")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        self.handle = SpecDouble(f"http://{host}:{port}", settings.admin_token)
        self.handle.health()  # it answers HTTP, not only listens
        return self.handle

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        except BaseException as err:  # uvicorn exits with SystemExit on a bind error
            self._failure = err

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        if self.handle is not None:
            self.handle.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)
            if self._thread.is_alive():  # a request that never ends (a long delay fault)
                assert self._server is not None
                self._server.force_exit = True
                self._thread.join(STOP_TIMEOUT)

    def __enter__(self) -> SpecDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- pytest hooks and fixtures ----------------------------------------------------------

_OPTIONS = {
    "seed": "seed of the generated data (default: the server's fixed seed)",
    "port": "port of the server the plugin starts (default: 0, any free port)",
    "fixtures": "folder of fixture files (default: the bundled fixtures)",
    "specs": "folder of OpenAPI specs (default: the bundled specs)",
    "url": "use the specdouble server at this URL instead of starting one",
    "admin_token": "admin token of the server at --specdouble-url (its --admin-token)",
}
# Marker arguments that need a server of their own (the others apply to any server).
_SERVER_MARKS = ("seed", "port")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("specdouble", "specdouble mock server (fixtures specdouble, "
                                          "specdouble_server)")
    for name, help_text in _OPTIONS.items():
        group.addoption(f"--specdouble-{name.replace('_', '-')}", dest=f"specdouble_{name}",
                        default=None, help=help_text)
        parser.addini(f"specdouble_{name}", help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "specdouble(faults=[...], state={tenant: data}, seed=N, port=N): fault rules and "
        "tenant state the specdouble fixture sets up after its reset, for this test only; "
        "seed or port: a server started with them (one per distinct pair, kept for the session)",
    )


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"specdouble_{name}") or config.getini(f"specdouble_{name}")
    return str(value) if value else None


def _int_option(config: pytest.Config, name: str) -> int | None:
    value = _option(config, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f"--specdouble-{name} / specdouble_{name}: expected a "
                                f"number, got {value!r}") from None


def _server_options(config: pytest.Config) -> dict[str, Any]:
    """What the options say the plugin's own server is started with."""
    fixtures, specs = _option(config, "fixtures"), _option(config, "specs")
    return {"seed": _int_option(config, "seed"), "port": _int_option(config, "port") or 0,
            "fixtures": Path(fixtures) if fixtures else None,
            "specs": Path(specs) if specs else None}


class _Servers:
    """The servers started for markers' ``seed``/``port``, one per distinct pair."""

    def __init__(self) -> None:
        self.started: dict[tuple[int | None, int], SpecDoubleServer] = {}

    def get(self, options: dict[str, Any]) -> SpecDouble:
        key = (options["seed"], options["port"])
        if key not in self.started:
            server = SpecDoubleServer(**options)
            server.start()
            self.started[key] = server
        handle = self.started[key].handle
        assert handle is not None
        return handle

    def stop(self) -> None:
        for server in self.started.values():
            server.stop()


@pytest.fixture(scope="session")
def specdouble_server(pytestconfig: pytest.Config) -> Iterator[SpecDouble]:
    """One specdouble server for the session (state carries over between tests)."""
    url = _option(pytestconfig, "url")
    if url:
        handle = SpecDouble(url, _option(pytestconfig, "admin_token"))
        try:
            handle.health()
            yield handle
        finally:
            handle.close()
        return
    server = SpecDoubleServer(**_server_options(pytestconfig))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _specdouble_marked_servers() -> Iterator[_Servers]:
    servers = _Servers()
    try:
        yield servers
    finally:
        servers.stop()


def _marked_server(request: pytest.FixtureRequest) -> SpecDouble | None:
    """The server a ``seed=``/``port=`` marker asks for (the closest marker wins), or None."""
    wanted: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("specdouble"))):
        wanted.update({k: marker.kwargs[k] for k in _SERVER_MARKS if k in marker.kwargs})
    if not wanted:
        return None
    if _option(request.config, "url"):
        pytest.fail("@pytest.mark.specdouble(seed=..., port=...) starts a server of its own, "
                    "which --specdouble-url (a server started elsewhere) rules out",
                    pytrace=False)
    # The session's server may hold --specdouble-port: another one takes any free port.
    options = {**_server_options(request.config), "port": 0, **wanted}
    servers: _Servers = request.getfixturevalue("_specdouble_marked_servers")
    return servers.get(options)


@pytest.fixture
def specdouble(request: pytest.FixtureRequest) -> SpecDouble:
    """The session's server, reset for this test, with the test's marker applied.

    ``@pytest.mark.specdouble(faults=[{"operation_id": "listEvents", "status": 500}],
    state={"acme": export})`` adds those fault rules and loads that state first;
    ``seed=7`` or ``port=8099`` serve the test from a server started with them.
    """
    server = _marked_server(request)
    if server is None:
        server = request.getfixturevalue("specdouble_server")
    server.reset()
    for marker in reversed(list(request.node.iter_markers("specdouble"))):
        for tenant, data in (marker.kwargs.get("state") or {}).items():
            server.load_state(tenant, data)
        for rule in marker.kwargs.get("faults") or []:
            server.add_fault(**rule)
    return server
