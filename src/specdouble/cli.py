"""Command line: ``specdouble serve`` -> Settings -> uvicorn.

The only module that reads flags and environment variables, and the only
one that prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from specdouble import __version__
from specdouble.state.base import StoreUnavailable
from specdouble.support.resources import fixtures_dir, specs_dir
from specdouble.support.seeds import DEFAULT_SEED
from specdouble.support.settings import (
    DEFAULT_HOST,
    DEFAULT_JOURNAL_BODY_LIMIT,
    DEFAULT_JOURNAL_SIZE,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_PORT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_STATE_PREFIX,
    DEFAULT_STATE_TIMEOUT,
    Settings,
    is_loopback,
)
from specdouble.support.terminal import Console

ENV_PREFIX = "SPECDOUBLE_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _description() -> str:
    """What is mocked: the built-in services of the catalog, by title."""
    from specdouble import services

    titles = [service.title for service in services.BUILT_IN if not service.internal]
    listed = ", ".join(titles[:-1]) + f" and {titles[-1]}" if len(titles) > 1 else titles[0]
    return textwrap.fill(
        f"specdouble: a stateful mock of {listed}, served from hand-written OpenAPI specs "
        "at the real paths on one port.", width=79) + "\n"


def _epilog() -> str:
    from specdouble import services

    return textwrap.dedent("""\
        Every option can also be set with an environment variable: SPECDOUBLE_ plus the
        option name in upper case with dashes as underscores (SPECDOUBLE_PORT=9000,
        SPECDOUBLE_CORS_ORIGIN=http://localhost:3000). Flags win over the environment.

        """) + textwrap.fill(
        f"Tokens of the default fixtures: {services.FIXTURE_TOKENS}. "
        "GET / lists the services, their specs and docs.", width=79) + "\n"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: a port is a number 0..65535")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {text}")
    return path


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise argparse.ArgumentTypeError(f"must be one of 1/true/yes/on or 0/false/no/off, "
                                         f"got {text!r}")
    return value in _TRUE


def _log_level(text: str) -> str:
    if text not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"invalid choice {text!r} (choose from "
                                         f"{', '.join(LOG_LEVELS)})")
    return text


class _Environment:
    """Defaults from ``SPECDOUBLE_*`` variables, checked like the flags they stand for.

    Every bad value is collected (not raised on the spot), so the parser can
    refuse them all, one line each naming the variable, before anything else
    runs, ``--help`` and ``--version`` included.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[str] = []

    def __call__(self, name: str, fallback: object, convert: Callable[[str], object] = str
                 ) -> object:
        variable = ENV_PREFIX + name.upper().replace("-", "_")
        raw = self.env.get(variable)
        if raw is None:
            return fallback
        try:
            return convert(raw)
        except argparse.ArgumentTypeError as err:
            self.errors.append(f"{variable}={raw!r}: {err}")
            return fallback


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser, its defaults taken from ``env``; a bad variable exits 2 here."""
    default = _Environment(env)
    from specdouble.services import OPTION_HELP

    epilog = _epilog()
    parser = argparse.ArgumentParser(
        prog="specdouble", description=_description(), epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"specdouble {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="start the mock server", description="Start the mock server.",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default=default("host", DEFAULT_HOST),
                       help="interface to bind (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=default("port", DEFAULT_PORT, _port),
                       help="port to bind, 0 for any free one (default: %(default)s)")
    serve.add_argument("--seed", type=_int, default=default("seed", DEFAULT_SEED, _int),
                       help="seed of all generated data; same seed, same data "
                            "(default: %(default)s)")
    serve.add_argument("--fixtures", type=_existing_dir,
                       default=default("fixtures", fixtures_dir(), _existing_dir),
                       help="folder of fixture files: auth.yaml and one YAML per service "
                            "(default: the bundled fixtures)")
    serve.add_argument("--specs", type=_existing_dir,
                       default=default("specs", specs_dir(), _existing_dir),
                       help="folder of the OpenAPI specs (default: the bundled specs)")
    serve.add_argument("--spec", action="append", dest="user_specs", metavar="FILE",
                       help="also mock this OpenAPI/Swagger file (or URL on 127.0.0.1) beside "
                            "the built-in services, as `specdouble mock` does; repeat for "
                            "several (SPECDOUBLE_SPEC: comma-separated)")
    serve.add_argument("--cors-origin", action="append", dest="cors_origins",
                       help="allowed CORS origin; repeat for several (default: any origin, *)")
    serve.add_argument("--max-body", type=_positive_int,
                       default=default("max-body", DEFAULT_MAX_BODY, _positive_int),
                       help="largest request body in bytes; larger is 413 "
                            "(default: %(default)s)")
    serve.add_argument("--max-header-bytes", type=_positive_int, metavar="BYTES",
                       default=default("max-header-bytes", DEFAULT_MAX_HEADER_BYTES,
                                       _positive_int),
                       help="largest request line plus headers in bytes; larger is 431 "
                            "(default: %(default)s)")
    serve.add_argument("--read-timeout", type=_positive_float, metavar="SECONDS",
                       default=default("read-timeout", DEFAULT_READ_TIMEOUT, _positive_float),
                       help="seconds a client may take to send its headers, or between two "
                            "parts of its body; then 408 and the connection is closed "
                            "(default: %(default)s)")
    serve.add_argument("--max-connections", type=_positive_int, metavar="N",
                       default=default("max-connections", DEFAULT_MAX_CONNECTIONS,
                                       _positive_int),
                       help="open connections per worker; a request beyond is answered 503 "
                            "(default: %(default)s)")
    serve.add_argument("--job-delay", type=_non_negative_float,
                       default=default("job-delay", 0.0, _non_negative_float),
                       help=OPTION_HELP["job-delay"])
    serve.add_argument("--strict-saas-token", action="store_true",
                       default=default("strict-saas-token", False, _flag),
                       help=OPTION_HELP["strict-saas-token"])
    admin = serve.add_argument_group(
        "admin API (/__admin: journal, faults, reset, state, tenants; see GET /)")
    admin.add_argument("--admin-token", metavar="TOKEN", default=default("admin-token", None),
                       help="require 'Authorization: Bearer TOKEN' on /__admin and accept it "
                            "from any address (default: no token, loopback clients only)")
    admin.add_argument("--admin-cors-origin", action="append", dest="admin_cors_origins",
                       metavar="ORIGIN",
                       help="origin whose web pages may call /__admin (CORS); repeat for several "
                            "(default: none: the admin API answers no other origin)")
    admin.add_argument("--journal-size", type=_positive_int, metavar="N",
                       default=default("journal-size", DEFAULT_JOURNAL_SIZE, _positive_int),
                       help="requests kept in the journal; older ones are dropped "
                            "(default: %(default)s)")
    admin.add_argument("--journal-body-limit", type=_positive_int, metavar="BYTES",
                       default=default("journal-body-limit", DEFAULT_JOURNAL_BODY_LIMIT,
                                       _positive_int),
                       help="bytes of each request and response body kept in the journal "
                            "(default: %(default)s)")
    admin.add_argument("--faults", type=_existing_file, metavar="FILE",
                       default=default("faults", None, _existing_file),
                       help="JSON or YAML list of fault rules (as POST /__admin/faults takes) "
                            "active from the start")
    admin.add_argument("--state", type=_existing_file, metavar="FILE",
                       default=default("state", None, _existing_file),
                       help="JSON or YAML state export (GET /__admin/state/TENANT), or a list "
                            "of them, imported at start; an unknown tenant is created")
    shared = serve.add_argument_group("shared state (several workers or replicas, one world)")
    shared.add_argument("--state-url", metavar="URL", default=default("state-url", None),
                        help="keep the state in Redis, e.g. redis://127.0.0.1:6379/0; the "
                             "world there is seeded once and outlives restarts "
                             "(default: process memory)")
    shared.add_argument("--state-prefix", metavar="PREFIX",
                        default=default("state-prefix", DEFAULT_STATE_PREFIX),
                        help="prefix of every Redis key, so several mocks can share one Redis "
                             "(default: %(default)s)")
    shared.add_argument("--state-timeout", type=_positive_float, metavar="SECONDS",
                        default=default("state-timeout", DEFAULT_STATE_TIMEOUT, _positive_float),
                        help="how long a request waits on an unreachable Redis before its "
                             "documented 500 (default: %(default)s)")
    shared.add_argument("--workers", type=_positive_int, metavar="N",
                        default=default("workers", 1, _positive_int),
                        help="server processes on the one port (default: %(default)s). More "
                             "than 1 needs --state-url: they then share one world (data, "
                             "tokens, journal, faults), seeded by the first to start")
    serve.add_argument("--check-responses", action="store_true",
                       default=default("check-responses", False, _flag),
                       help="check every answer against its spec; violations are logged and "
                            "marked in the journal (costs speed; default: off)")
    serve.add_argument("--engine", choices=["compiled", "connexion"],
                       default=default("engine", "compiled"),
                       help="request path: 'compiled' serves mocked operations in one pass and "
                            "leaves the rest to Connexion; 'connexion' sends every request "
                            "through the Connexion stack (default: %(default)s)")
    serve.add_argument("--differential", action="store_true",
                       default=default("differential", False, _flag),
                       help="serve each compiled-path request through Connexion too and log "
                            "any difference (diagnosis; not for concurrent writers)")
    serve.add_argument("--log-level", default=default("log-level", "warning", _log_level),
                       type=_log_level, metavar="{" + ",".join(LOG_LEVELS) + "}",
                       help="server log level (default: %(default)s)")
    serve.add_argument("--access-log", action="store_true",
                       default=default("access-log", False, _flag),
                       help="uvicorn's access log line for every request")
    serve.add_argument("--log-requests", action="store_true",
                       default=default("log-requests", False, _flag),
                       help="one concise line per mocked request: method, path, tenant, "
                            "operation, status, time, and the validation error or fault "
                            "(coloured on a terminal)")
    admin.add_argument("--allow-no-admin-token", action="store_true",
                       default=default("allow-no-admin-token", False, _flag),
                       help="start on a non-loopback --host without --admin-token (the admin "
                            "API then answers loopback clients only)")
    _mock_parser(commands)
    for problem in default.errors:
        print(f"specdouble: error: {problem}", file=sys.stderr)
    if default.errors:
        raise SystemExit(2)
    return parser


# Prism's verbosity levels -> uvicorn's log levels.
PRISM_LEVELS = {"trace": "debug", "debug": "debug", "info": "info", "warn": "warning",
                "error": "error", "fatal": "critical", "silent": "critical"}
# `mock --stateful` keeps its Redis keys apart from `serve`'s, even on one Redis.
MOCK_STATE_PREFIX = "specdouble-mock"
# Prism's boolean flags, which also take a value: `--cors=false`, `--cors false`.
MOCK_FLAGS = {"-d": "--dynamic", "--dynamic": "--dynamic", "--errors": "--errors",
              "--cors": "--cors", "--ignore-examples": "--ignore-examples",
              "--ignoreExamples": "--ignore-examples", "-m": "--multiprocess",
              "--multiprocess": "--multiprocess", "--journal": "--journal",
              "--log-requests": "--journal", "--stateful": "--stateful",
              "--json-schema-faker-fillProperties": "--json-schema-faker-fillProperties"}
_BOOLEANS = {"true": "true", "false": "false", "1": "true", "0": "false",
             "yes": "true", "no": "false"}


def prism_argv(argv: Sequence[str]) -> list[str]:
    """Prism's booleans (`--cors false`, `--cors=false`, `-d`) as one `--flag=value` each."""
    out: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        name, eq, value = item.partition("=")
        if name in MOCK_FLAGS:
            if not eq and index + 1 < len(items) and items[index + 1].lower() in _BOOLEANS:
                index += 1
                value = items[index]
            value = _BOOLEANS.get(value.lower(), value) if (eq or value) else "true"
            out.append(f"{MOCK_FLAGS[name]}={value}")
        else:
            out.append(item)
        index += 1
    return out


def _mock_parser(commands: argparse._SubParsersAction) -> None:
    """`specdouble mock SPEC...`: Prism's command line, plus ours."""
    mock = commands.add_parser(
        "mock", help="mock your own OpenAPI specs (a drop-in for `prism mock`)",
        add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Serve one or more OpenAPI 3.0/3.1 or Swagger 2.0 specs (YAML or JSON) on one "
            "port, as Prism 5 does: requests are validated, responses are the spec's "
            "examples or generated from its schemas. Each path is served as written and "
            "under the path of each `servers` URL (OAS2 basePath).", width=79),
        epilog=textwrap.fill(
            "Per request: `Prefer: code=404`, `Prefer: example=NAME`, `Prefer: dynamic=true` "
            "(or the __code, __example, __dynamic query parameters). Differences from "
            "Prism: docs/prism-compatibility.md.", width=79))
    # Prism's booleans: a bare flag is true; prism_argv has made each one --flag=value.
    boolean: dict[str, Any] = {"type": _flag, "nargs": "?", "const": True, "metavar": "BOOL"}
    mock.add_argument("specs", nargs="+", metavar="SPEC",
                      help="an OpenAPI/Swagger file, or its URL on 127.0.0.1 (several: "
                           "served side by side)")
    mock.add_argument("--help", action="help", help="show this help and exit")
    mock.add_argument("-p", "--port", type=_port, default=4010,
                      help="port to bind (default: %(default)s, as Prism)")
    mock.add_argument("-h", "--host", default=DEFAULT_HOST,
                      help="interface to bind (default: %(default)s); -h is the host, as in "
                           "Prism: use --help for help")
    mock.add_argument("-d", "--dynamic", default=False, **boolean,
                      help="generate every body from its schema with Faker instead of "
                           "examples and static values (default: false)")
    mock.add_argument("--errors", default=False, **boolean,
                      help="a generated response that violates the spec becomes a 500 "
                           "VIOLATIONS problem (default: false)")
    mock.add_argument("--cors", default=True, **boolean,
                      help="CORS headers on every answer, 204 to any preflight; "
                           "--cors=false turns them off (default: true)")
    mock.add_argument("--seed", default=None,
                      help="seed of dynamic generation: every request with it gets the same "
                           "body, as in Prism (also per request: Prefer: seed=S)")
    mock.add_argument("--ignore-examples", default=False, **boolean,
                      help="(also --ignoreExamples) generate bodies even where the spec has "
                           "examples (default: false)")
    mock.add_argument("--json-schema-faker-fillProperties", dest="fill_properties",
                      type=_flag, default=True, metavar="BOOL",
                      help="accepted for Prism compatibility; specdouble never invents "
                           "properties the schema does not declare")
    mock.add_argument("-m", "--multiprocess", default=False, **boolean,
                      help="serve from 2 worker processes (--workers N for more)")
    mock.add_argument("-v", "--verboseLevel", dest="verbose", default="info",
                      choices=sorted(PRISM_LEVELS),
                      help="log level; debug and trace log every request (default: %(default)s)")
    ours = mock.add_argument_group("specdouble's own: the admin API (/__admin: health, "
                                   "journal, faults, state; see README)")
    ours.add_argument("--state", type=_existing_file, metavar="FILE",
                      help="data of tenant 'default' at start and after a reset: a state "
                           "export (GET /__admin/state/default), JSON or YAML")
    ours.add_argument("--faults", type=_existing_file, metavar="FILE",
                      help="fault rules at start: a list of rules as POST /__admin/faults "
                           "takes them (or GET /__admin/faults's answer), JSON or YAML")
    ours.add_argument("--admin-token", metavar="TOKEN",
                      help="/__admin then needs 'Authorization: Bearer TOKEN' from any "
                           "address (default: no token, loopback clients only)")
    ours.add_argument("--journal", "--log-requests", dest="journal", default=False, **boolean,
                      help="one console line per request: method, path, operation, status, "
                           "time, and the validation error or fault (as `serve "
                           "--log-requests`; every request is in GET /__admin/requests "
                           "either way; default: false)")
    ours.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                      help="worker processes on the one port (default: %(default)s); each "
                           "keeps its own journal and fault rules")
    ours.add_argument("--state-url", metavar="URL",
                      help="with --stateful: keep the records in Redis, e.g. "
                           "redis://127.0.0.1:6379/0 (needed for --workers > 1)")
    ours.add_argument("--stateful", default=False, **boolean,
                      help="CRUD on the collections inferred from the spec: POST then GET "
                           "returns what was posted (docs/stateful.md; default: false)")


def _mock_settings(args: argparse.Namespace) -> Settings:
    """The admin side of `mock`: token, start-up files, the journal's console line."""
    seed = args.seed if args.seed is not None and str(args.seed).lstrip("-").isdigit() \
        else DEFAULT_SEED
    return Settings(host=args.host, port=args.port, seed=int(seed),
                    admin_token=args.admin_token or None, faults_file=args.faults,
                    state_file=args.state, log_requests=args.journal)


def _mock_app(specs: list[str], options: Any, cors: bool, settings: Settings,
              stateful: bool, state_url: str | None, worker: bool = False) -> Any:
    """One process's mock app; a worker builds its own (store connection included) and
    prints its own request lines (``--journal``)."""
    from specdouble.http.mock import create_mock_app
    from specdouble.state.select import open_store

    if worker:
        Console(sys.stdout).attach(requests=settings.log_requests, stages=False)
    store = open_store(state_url, MOCK_STATE_PREFIX) if stateful and state_url else None
    return create_mock_app(specs, options, cors, stateful=stateful, store=store,
                           settings=settings)


def mock_main(args: argparse.Namespace) -> int:
    """Load the specs, print the banner, serve; one line and exit 2 for bad input."""
    import functools
    import warnings

    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from specdouble.engine.mock import Options
    from specdouble.http.mock import serve_mock
    from specdouble.http.server import CannotBind, connection_limits
    from specdouble.spec.documents import SpecError

    options = Options(dynamic=args.dynamic, ignore_examples=args.ignore_examples,
                      errors=args.errors, seed=str(args.seed or "0"),
                      seeded=args.seed is not None,
                      fill_properties=args.fill_properties)
    workers = args.workers if args.workers > 1 else (2 if args.multiprocess else 1)
    if args.stateful and workers > 1 and not args.state_url:
        print(f"specdouble: cannot mock: --stateful with {workers} workers needs --state-url "
              "(each worker's memory would be a world of its own)", file=sys.stderr)
        return 2
    settings = _mock_settings(args)
    factory = functools.partial(_mock_app, list(args.specs), options, args.cors, settings,
                                args.stateful, args.state_url)
    try:
        app = factory()
    except (SpecError, StoreUnavailable, ValueError) as err:
        print(f"specdouble: cannot mock: {err}", file=sys.stderr)
        return 2
    for document in app.mocker.documents:
        for warning in document.warnings:
            print(f"specdouble: warning: {warning}", file=sys.stderr)
    for warning in app.mocker.warnings + (app.stateful.warnings if app.stateful else []):
        print(f"specdouble: warning: {warning}", file=sys.stderr)
    if args.state_url and not args.stateful:
        print("specdouble: warning: --state-url is used with --stateful only (stateless)",
              file=sys.stderr)
    if not (args.admin_token or is_loopback(args.host)):
        # a drop-in for `prism mock -h 0.0.0.0` starts; its admin API stays on this machine
        print(f"specdouble: warning: --host {args.host} serves the mock to other machines; "
              "/__admin answers loopback clients only (set --admin-token to reach it "
              "from elsewhere)", file=sys.stderr)
    if workers > 1:
        shared = "; the records are shared through --state-url" if args.state_url else \
            " and state"
        print(f"specdouble: warning: each of the {workers} workers keeps its own journal, "
              f"fault rules{shared}: /__admin answers for the worker that takes the call",
              file=sys.stderr)

    def banner(port: int) -> None:
        base = f"http://{args.host}:{port}"
        for method, template, operation_id in app.mocker.served():
            print(f"[mock] {method:7} {base}{template}  ({operation_id})")
        print(f"[mock] admin API: {base}/__admin/health, /__admin/requests, "
              "/__admin/faults, /__admin/state/default", flush=True)
        for collection in app.stateful.collections if app.stateful else []:
            roles = ", ".join(f"{role} {op}" for role, op in collection.operations.items())
            print(f"[mock] stateful {collection.path} (id: {collection.id_property}, "
                  f"{collection.id_type}): {roles}")
        if app.stateful:
            print(f"[mock] inferred collections: GET {base}/__admin/collections")
        print(f"[mock] specdouble {__version__} is listening on {base}", flush=True)

    Console(sys.stdout).attach(requests=args.journal and workers == 1, stages=False)
    try:
        factory = functools.partial(_mock_app, list(args.specs), options, args.cors, settings,
                                    args.stateful, args.state_url, True)
        serve_mock(app, args.host, args.port, PRISM_LEVELS[args.verbose], banner,
                   workers=workers, factory=factory, limits=connection_limits(settings))
    except CannotBind as err:
        print(f"specdouble: cannot start: {err}", file=sys.stderr)
        return 2
    return 0


def _origins(env: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated list (origins, spec files) from the environment."""
    raw = env.get(ENV_PREFIX + name) or ""
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    origins = args.cors_origins or _origins(env, "CORS_ORIGIN") or ["*"]
    admin_origins = args.admin_cors_origins or _origins(env, "ADMIN_CORS_ORIGIN")
    return Settings(
        host=args.host, port=args.port, seed=args.seed, fixtures_dir=args.fixtures,
        specs_dir=args.specs, cors_origins=tuple(origins), max_body=args.max_body,
        max_header_bytes=args.max_header_bytes, read_timeout=args.read_timeout,
        max_connections=args.max_connections,
        job_delay=args.job_delay, strict_saas_token=args.strict_saas_token,
        check_responses=args.check_responses,
        admin_token=args.admin_token or None, admin_cors_origins=tuple(admin_origins),
        journal_size=args.journal_size,
        journal_body_limit=args.journal_body_limit, faults_file=args.faults,
        state_file=args.state, state_url=args.state_url or None,
        state_prefix=args.state_prefix, state_timeout=args.state_timeout,
        log_requests=args.log_requests,
        engine=args.engine, differential=args.differential,
        user_specs=tuple(args.user_specs or _origins(env, "SPEC")),
        spec_cache=spec_cache_dir(env),
    )


def spec_cache_dir(env: Mapping[str, str]) -> Path | None:
    """SPECDOUBLE_CACHE_DIR (``off`` for none), else the XDG cache folder's ``specdouble``."""
    configured = env.get("SPECDOUBLE_CACHE_DIR", "").strip()
    if configured.lower() in ("off", "0", "false", "no"):
        return None
    if configured:
        return Path(configured)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "specdouble"


def refusal(args: argparse.Namespace) -> str | None:
    """Why these options must not start a server (checked before anything starts), or None."""
    if args.workers > 1 and not args.state_url:
        return (f"--workers {args.workers} needs --state-url: the memory state is per "
                "process, so each worker would be a world of its own; keep the state in "
                "Redis (--state-url redis://127.0.0.1:6379/0)")
    if not (args.admin_token or args.allow_no_admin_token or is_loopback(args.host)):
        return (f"--host {args.host} is reachable from other machines: set --admin-token "
                "(SPECDOUBLE_ADMIN_TOKEN) to guard /__admin, or pass --allow-no-admin-token "
                "to serve it to loopback clients only")
    return None


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Exit status 2 for bad input (flags, variables, files), 1 when the machine says no."""
    env = os.environ if env is None else env
    parser = build_parser(env)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["mock"]:
        argv = prism_argv(argv)
    args = parser.parse_args(argv)
    if args.command == "mock":
        return mock_main(args)
    if args.command != "serve":
        parser.print_help()
        return 2
    refused = refusal(args)
    if refused:
        print(f"specdouble: cannot start: {refused}", file=sys.stderr)
        return 2
    settings = settings_from(args, env)
    try:
        from specdouble.http.server import CannotBind, serve

        serve(settings, args.log_level, args.access_log, args.workers,
              console=Console(sys.stdout))
    except (FileNotFoundError, ValueError) as err:
        print(f"specdouble: cannot start: {err}", file=sys.stderr)
        return 2
    except (StoreUnavailable, CannotBind) as err:
        print(f"specdouble: cannot start: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
