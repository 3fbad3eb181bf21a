"""create_app(settings): the one place where the server is wired together.

Every service of the catalog is mounted from its spec at the real paths
(each under its own first path segment), with our validators, security functions
and error handlers; the world (tenants, tokens, seeded state) is built from
the fixtures and the seed.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import logging
import time
from functools import partial
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from specdouble.data.fixtures import Fixtures, load_fixtures
from specdouble.data.generator import SchemaDataGenerator
from specdouble.http import compiled, connexion_patches, console, docs, errors, mock
from specdouble.http.admin.guard import AdminGuardMiddleware, SplitCORSMiddleware
from specdouble.http.index import index
from specdouble.http.middleware import (
    BodyLimitMiddleware,
    ContentTypeMiddleware,
    NoSlashRedirectMiddleware,
    ResponseCheckMiddleware,
    RuntimeMiddleware,
)
from specdouble.http.observe import FaultMiddleware, JournalMiddleware
from specdouble.http.prefer import PreferMiddleware
from specdouble.http.retry import ConflictRetryMiddleware
from specdouble.http.security import inject_security_functions
from specdouble.http.validation import validator_map
from specdouble.services import built_in_catalog
from specdouble.services.admin import ADMIN
from specdouble.spec.loader import load_spec
from specdouble.state.base import Store, StoreUnavailable
from specdouble.state.select import is_shared, open_server_state, open_store
from specdouble.support.problems import Problem
from specdouble.support.settings import Settings
from specdouble.support.terminal import STAGES
from specdouble.world import tenants
from specdouble.world.catalog import Catalog, Service
from specdouble.world.runtime import Runtime
from specdouble.world.startup import configure as configure_admin

log = logging.getLogger("specdouble")


connexion_patches.apply()


def _snake(name: str) -> str:
    out = []
    for char in name:
        if char.isupper():
            out.append("_" + char.lower())
        else:
            out.append(char)
    return "".join(out).lstrip("_")


def _resolver(module_name: str | None) -> Resolver:
    """operationId ``addAssignee`` -> ``<module>.add_assignee``."""
    if module_name is None:
        raise ValueError("a service without handlers cannot be mounted yet")
    module = importlib.import_module(module_name)

    def resolve(operation_id: str) -> Any:
        return getattr(module, _snake(operation_id))

    return Resolver(function_resolver=resolve)


def split_base_path(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Mount a spec under its paths' common first segment, with paths made relative.

    The specs carry the real full paths. Connexion chains APIs that share a base
    path by overwriting one default, so with several specs at "" only the first
    and the last are reachable; a distinct base path per spec avoids that.
    """
    firsts = {"/" + path.lstrip("/").split("/", 1)[0] for path in spec.get("paths", {})}
    if len(firsts) != 1:
        return "", spec
    base = firsts.pop()
    rewritten = dict(spec)
    rewritten["paths"] = {path[len(base):] or "/": item for path, item in spec["paths"].items()}
    return base, rewritten


def _importable(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module.partition(":")[0]) is not None


def available_services(settings: Settings, catalog: Catalog | None = None) -> Catalog:
    """The services whose spec and handlers are present (all of them in the shipped tree).

    A test checks that every built-in service is available; this only lets a
    custom ``--specs`` folder hold fewer. A folder that holds none of them is a
    mistake (a server with nothing to mock): a ValueError names the folder and
    the files it should hold.
    """
    catalog = catalog or built_in_catalog()
    present = [s for s in catalog
               if (settings.specs_dir / s.spec_file).is_file() and _importable(s.handlers)]
    if not any(not s.internal for s in present):
        expected = ", ".join(s.spec_file for s in catalog if not s.internal)
        raise ValueError(f"the specs folder {settings.specs_dir} holds no spec this server "
                         f"mocks; expected one or more of: {expected}")
    return Catalog(present, fallback=catalog.fallback.name if catalog.fallback else None)


def user_specs(settings: Settings, catalog: Catalog) -> mock.UserSpecs | None:
    """``--spec`` files, loaded and checked against the built-in paths (None: none given)."""
    if not settings.user_specs:
        return None
    builtin = [(service, list(load_spec(settings.specs_dir / service.spec_file)["paths"]))
               for service in catalog]
    users = mock.load_user_specs(settings.user_specs, builtin)
    for document in users.mocker.documents:
        count = len(document.operations)
        STAGES.info("user spec %s: %d operation%s, served as `specdouble mock` serves it",
                    document.source, count, "" if count == 1 else "s")
        for warning in document.warnings:
            STAGES.warning("%s", warning)
    for warning in users.mocker.warnings:
        STAGES.warning("%s", warning)
    return users


def build_runtime(settings: Settings, catalog: Catalog,
                  users: mock.UserSpecs | None = None) -> Runtime:
    """Specs, fixtures, tokens and state of a server, its world started (seeded once).

    ``users``: the ``--spec`` files (loaded here if not given), whose operations
    fault rules may name.
    """
    users = users or user_specs(settings, catalog)
    started = time.perf_counter()
    specs = {s.name: load_spec(settings.specs_dir / s.spec_file) for s in catalog}
    STAGES.info("specs loaded: %d from %s (%.1f s)", len(specs), settings.specs_dir,
                time.perf_counter() - started)
    fixtures = load_fixtures(settings.fixtures_dir, [s.name for s in catalog])
    store = open_store(settings.state_url, settings.state_prefix, settings.state_timeout)
    shared = open_server_state(store)
    runtime = Runtime(settings=settings, store=store,
                      tokens=tenants.build_tokens(fixtures, specs, catalog, shared),
                      fixtures=fixtures, catalog=catalog, specs=specs,
                      generator=SchemaDataGenerator(settings.seed), shared=shared,
                      generic_statuses=users.statuses if users else {},
                      user_listing=users.listing if users else ())
    started = time.perf_counter()
    configure_admin(runtime)
    STAGES.info("tenants seeded: %s (%.1f s)", ", ".join(runtime.store.tenants()),
                time.perf_counter() - started)
    return runtime


def middleware_stack(settings: Settings, runtime: Runtime) -> list[Any]:
    """Every layer a request crosses, outermost first, in one readable list.

    - the runtime first, so every layer below (and every error body) sees it;
    - the journal next: it sees every answer, 413s and faults too;
    - CORS before the body limit, so a 413 still carries CORS headers;
    - the admin guard and fault rules before Swagger UI and routing;
    - a forced 400/401/403 (``Prefer``) before security, the other forced
      answers after validation;
    - with a shared store, a unit of work that lost to another worker is run
      again, innermost.
    """
    layers: list[Any] = [
        ServerErrorMiddleware,
        partial(RuntimeMiddleware, runtime=runtime),
        partial(JournalMiddleware, runtime=runtime),
    ]
    if settings.check_responses:
        layers.append(partial(ResponseCheckMiddleware, runtime=runtime))
    layers += [
        partial(SplitCORSMiddleware, cors_origins=settings.cors_origins,
                admin_cors_origins=settings.admin_cors_origins, allow_methods=["*"],
                allow_headers=["*"], expose_headers=["X-Total-Count"]),
        partial(BodyLimitMiddleware, max_body=settings.max_body),
        ContentTypeMiddleware,
        ExceptionMiddleware,
        partial(AdminGuardMiddleware, admin_token=settings.admin_token,
                server_host=settings.host, cors_origins=settings.admin_cors_origins),
        partial(FaultMiddleware, runtime=runtime),
        SwaggerUIMiddleware,
        NoSlashRedirectMiddleware,
        RoutingMiddleware,
        partial(PreferMiddleware, early=True),
        SecurityMiddleware,
        RequestValidationMiddleware,
        ResponseValidationMiddleware,
        LifespanMiddleware,
        partial(PreferMiddleware, early=False),
    ]
    if is_shared(runtime.store):
        layers.append(partial(ConflictRetryMiddleware, state_timeout=settings.state_timeout))
    layers.append(ContextMiddleware)
    return layers


def _mount(app: AsyncApp, runtime: Runtime, service: Service) -> None:
    """One service's spec at its real paths, answered by its handlers."""
    base_path, mounted = split_base_path(copy.deepcopy(runtime.specs[service.name]))
    inject_security_functions(mounted)
    app.add_api(
        mounted,
        base_path=base_path,
        name=service.slug,
        resolver=_resolver(service.handlers),
        validate_responses=False,
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, swagger_ui=False),
    )


def _error_handlers(app: AsyncApp) -> None:
    """Every error, whoever raises it, rendered by ``http/errors.py`` in its service's shape."""
    app.add_error_handler(Problem, errors.handle_problem)
    app.add_error_handler(StoreUnavailable, errors.handle_store_unavailable)
    app.add_error_handler(ProblemException, errors.handle_connexion_problem)
    app.add_error_handler(HTTPException, errors.handle_http_status)
    app.add_error_handler(404, errors.handle_http_status)
    app.add_error_handler(405, errors.handle_http_status)
    app.add_error_handler(Exception, errors.handle_unexpected)


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> AsyncApp:
    settings = settings or Settings()
    catalog = available_services(settings, catalog)
    users = user_specs(settings, catalog)
    runtime = build_runtime(settings, catalog, users)

    app = AsyncApp(__name__, validator_map=validator_map(), pythonic_params=True,
                   middlewares=middleware_stack(settings, runtime))
    for service in catalog:
        _mount(app, runtime, service)
    app.add_url_rule("/", "index", index, methods=["GET"])
    app.add_url_rule("/specs/{slug}.json", "spec_json", docs.spec_json, methods=["GET"])
    app.add_url_rule("/docs/assets/{name}", "swagger_asset", docs.swagger_asset, methods=["GET"])
    app.add_url_rule("/docs/{slug}/", "swagger_ui", docs.swagger_ui, methods=["GET"])
    app.add_url_rule("/docs/{slug}", "swagger_ui_bare", docs.swagger_ui, methods=["GET"])
    app.add_url_rule("/__admin/", "console", console.console_page, methods=["GET"])
    app.add_url_rule("/__admin", "console_bare", console.console_page, methods=["GET"])
    app.add_url_rule("/__admin/console/{name}", "console_asset", console.console_asset,
                     methods=["GET"])
    _error_handlers(app)
    app.runtime = runtime
    compiled.install(app, runtime)
    if users is not None:
        _serve_user_specs(app, runtime, users)
    return app


def _serve_user_specs(app: AsyncApp, runtime: Runtime, users: mock.UserSpecs) -> None:
    """Put the user specs' mock in front: it shares the server's journal and fault rules,
    and gets the CORS answers the built-in services get."""
    settings = runtime.settings
    user_mock = mock.MockApp(users.mocker, users.services, cors=False, runtime=runtime)

    def with_cors(inner: Any) -> Any:
        return CORSMiddleware(inner, allow_origins=list(settings.cors_origins),
                              allow_methods=["*"], allow_headers=["*"],
                              expose_headers=["X-Total-Count"])

    app.middleware = mock.SpecFront(app.middleware, user_mock, runtime.catalog,
                                    runtime.operations.allowed_methods, with_cors)


def create_admin_app(runtime: Runtime) -> AsyncApp:
    """The admin API alone, on ``runtime``: for servers whose own traffic is not Connexion's.

    ``specdouble mock`` hands ``/__admin`` to this app: the same handlers, guard,
    validation and error shape as beside the built-in services, over the
    runtime (journal, fault rules, store) the mock keeps.
    """
    settings = runtime.settings
    layers: list[Any] = [
        ServerErrorMiddleware,
        partial(RuntimeMiddleware, runtime=runtime),
        partial(BodyLimitMiddleware, max_body=settings.max_body),
        ContentTypeMiddleware,
        ExceptionMiddleware,
        partial(AdminGuardMiddleware, admin_token=settings.admin_token,
                server_host=settings.host, cors_origins=settings.admin_cors_origins),
        NoSlashRedirectMiddleware,
        RoutingMiddleware,
        SecurityMiddleware,
        RequestValidationMiddleware,
        ResponseValidationMiddleware,
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = AsyncApp(__name__, validator_map=validator_map(), pythonic_params=True,
                   middlewares=layers)
    _mount(app, runtime, runtime.catalog.by_name[ADMIN.name])
    _error_handlers(app)
    app.runtime = runtime
    return app


# The tenant whose data user specs keep (``mock``: stateful records, ``--state``).
MOCK_TENANT = "default"


def build_mock_runtime(services: tuple[Service, ...], settings: Settings, store: Store,
                       statuses: dict[str, set[int]]) -> Runtime:
    """The world of ``specdouble mock``: its store (tenant ``default``), journal, fault rules.

    Started like the built-in server's (``world/startup.py``), so ``--faults``
    and ``--state`` files are read and checked the same way (a bad one is a
    ValueError naming the file); ``statuses`` are what fault rules may answer
    per operationId of the user specs.
    """
    catalog = Catalog([ADMIN, *services])
    specs = {ADMIN.name: load_spec(settings.specs_dir / ADMIN.spec_file)}
    fixtures = Fixtures(auth={"tenants": [MOCK_TENANT]}, services={})
    shared = open_server_state(store)
    runtime = Runtime(settings=settings, store=store,
                      tokens=tenants.build_tokens(fixtures, specs, catalog, shared),
                      fixtures=fixtures, catalog=catalog, specs=specs,
                      generator=SchemaDataGenerator(settings.seed), shared=shared,
                      generic_statuses=dict(statuses), open_collections=True)
    configure_admin(runtime)
    return runtime
