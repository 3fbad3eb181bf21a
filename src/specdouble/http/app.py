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
from collections.abc import Iterable
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from specdouble.data.fixtures import load_fixtures
from specdouble.data.generator import SchemaDataGenerator
from specdouble.http import connexion_patches, docs, errors
from specdouble.http.admin.guard import AdminGuardMiddleware
from specdouble.http.index import index
from specdouble.http.middleware import (
    BodyLimitMiddleware,
    NoSlashRedirectMiddleware,
    ResponseCheckMiddleware,
    RuntimeMiddleware,
)
from specdouble.http.observe import FaultMiddleware, JournalMiddleware
from specdouble.http.prefer import PreferMiddleware
from specdouble.http.retry import ConflictRetryMiddleware
from specdouble.http.security import inject_security_functions
from specdouble.http.validation import validator_map
from specdouble.spec.loader import load_spec
from specdouble.state.select import is_shared, open_server_state, open_store
from specdouble.support.console import STAGES
from specdouble.support.problems import Problem
from specdouble.support.settings import Settings
from specdouble.world import tenants
from specdouble.world.catalog import SERVICES, Service
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


def _resolver(module_name: str) -> Resolver:
    """operationId ``addAssignee`` -> ``<module>.add_assignee``."""
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


def available_services(settings: Settings) -> list[Service]:
    """The catalog entries whose spec, handlers and seeder are all present.

    A test checks that every entry of the catalog is available in the
    shipped tree; this only lets a custom ``--specs`` folder hold fewer. A
    folder that holds none of them is a mistake (a server with nothing to
    mock): a ValueError names the folder and the files it should hold.
    """
    services = [
        s for s in SERVICES
        if (settings.specs_dir / s.spec_file).is_file()
        and _importable(s.handlers) and _importable(s.seeder)
    ]
    if not any(s.name != "admin" for s in services):
        expected = ", ".join(s.spec_file for s in SERVICES)
        raise ValueError(f"the specs folder {settings.specs_dir} holds no spec this server "
                         f"mocks; expected one or more of: {expected}")
    return services


def build_runtime(settings: Settings, services: Iterable[Service]) -> Runtime:
    """Specs, fixtures, tokens and state of a server, its world started (seeded once)."""
    services = list(services)
    started = time.perf_counter()
    specs = {s.name: load_spec(settings.specs_dir / s.spec_file) for s in services}
    STAGES.info("specs loaded: %d from %s (%.1f s)", len(specs), settings.specs_dir,
                time.perf_counter() - started)
    fixtures = load_fixtures(settings.fixtures_dir, [s.name for s in services])
    seeders = {s.name: seeder for s in services if (seeder := s.load_seeder()) is not None}
    store = open_store(settings.state_url, settings.state_prefix)
    shared = open_server_state(store)
    runtime = Runtime(settings=settings, store=store,
                      tokens=tenants.build_tokens(fixtures, specs, shared),
                      fixtures=fixtures, seeders=seeders, specs=specs,
                      generator=SchemaDataGenerator(settings.seed), shared=shared)
    started = time.perf_counter()
    configure_admin(runtime)
    STAGES.info("tenants seeded: %s (%.1f s)", ", ".join(runtime.store.tenants()),
                time.perf_counter() - started)
    return runtime


def create_app(settings: Settings | None = None) -> AsyncApp:
    settings = settings or Settings()
    services = available_services(settings)
    runtime = build_runtime(settings, services)

    app = AsyncApp(__name__, validator_map=validator_map(), pythonic_params=True)
    for service in services:
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
    app.add_url_rule("/", "index", index, methods=["GET"])
    app.add_url_rule("/specs/{slug}.json", "spec_json", docs.spec_json, methods=["GET"])
    app.add_url_rule("/docs/assets/{name}", "swagger_asset", docs.swagger_asset, methods=["GET"])
    app.add_url_rule("/docs/{slug}/", "swagger_ui", docs.swagger_ui, methods=["GET"])
    app.add_url_rule("/docs/{slug}", "swagger_ui_bare", docs.swagger_ui, methods=["GET"])

    app.add_error_handler(Problem, errors.handle_problem)
    app.add_error_handler(ProblemException, errors.handle_connexion_problem)
    app.add_error_handler(HTTPException, errors.handle_http_status)
    app.add_error_handler(404, errors.handle_http_status)
    app.add_error_handler(405, errors.handle_http_status)
    app.add_error_handler(Exception, errors.handle_unexpected)

    # Admin API: the journal outermost (it sees every answer, 413s and faults too);
    # the admin guard and faults inside CORS and before routing; validation
    # failures noted in the journal (by errors.handle_connexion_problem).
    app.add_middleware(JournalMiddleware, MiddlewarePosition.BEFORE_EXCEPTION, runtime=runtime)
    if settings.check_responses:
        app.add_middleware(ResponseCheckMiddleware, MiddlewarePosition.BEFORE_EXCEPTION,
                           runtime=runtime)
    app.add_middleware(AdminGuardMiddleware, MiddlewarePosition.BEFORE_SWAGGER,
                       admin_token=settings.admin_token)
    app.add_middleware(FaultMiddleware, MiddlewarePosition.BEFORE_SWAGGER, runtime=runtime)

    app.add_middleware(NoSlashRedirectMiddleware, MiddlewarePosition.BEFORE_ROUTING)
    app.add_middleware(PreferMiddleware, MiddlewarePosition.BEFORE_SECURITY, early=True)
    app.add_middleware(PreferMiddleware, MiddlewarePosition.BEFORE_CONTEXT, early=False)
    app.add_middleware(
        CORSMiddleware, MiddlewarePosition.BEFORE_EXCEPTION,
        allow_origins=list(settings.cors_origins), allow_methods=["*"], allow_headers=["*"],
        expose_headers=["X-Total-Count"],
    )
    # After CORS, so a 413 (or too many parameters) still carries CORS headers.
    app.add_middleware(BodyLimitMiddleware, MiddlewarePosition.BEFORE_EXCEPTION,
                       max_body=settings.max_body)
    app.add_middleware(RuntimeMiddleware, MiddlewarePosition.BEFORE_EXCEPTION, runtime=runtime)
    if is_shared(runtime.store):
        # Innermost: a unit of work that lost to another worker is run again.
        app.add_middleware(ConflictRetryMiddleware, MiddlewarePosition.BEFORE_CONTEXT)
    app.runtime = runtime  # type: ignore[attr-defined]
    return app
