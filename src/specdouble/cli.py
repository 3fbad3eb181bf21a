"""Command line: ``specdouble serve`` -> Settings -> uvicorn.

The only module that reads flags and environment variables, and the only
one that prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from specdouble import __version__
from specdouble.state.base import StoreUnavailable
from specdouble.support.resources import fixtures_dir, specs_dir
from specdouble.support.seeds import DEFAULT_SEED
from specdouble.support.settings import (
    DEFAULT_HOST,
    DEFAULT_JOURNAL_BODY_LIMIT,
    DEFAULT_JOURNAL_SIZE,
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    DEFAULT_STATE_PREFIX,
    Settings,
)

ENV_PREFIX = "SPECDOUBLE_"

DESCRIPTION = """\
specdouble: a stateful mock of the Emporix Pick-pack, Emporix Customer
Management (contact assignments) and Shopatron Assign Order APIs, served from
hand-written OpenAPI specs at the real paths on one port.
"""

EPILOG = """\
Every option can also be set with an environment variable: SPECDOUBLE_ plus the
option name in upper case with dashes as underscores (SPECDOUBLE_PORT=9000,
SPECDOUBLE_CORS_ORIGIN=http://localhost:3000). Flags win over the environment.

Tokens of the default fixtures: acme-all, acme-view, globex-all (Emporix),
shopatron-test (Shopatron). GET / lists the services, their specs and docs.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0..65535, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
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


def _flag(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    def default(name: str, fallback: object, convert: object = str) -> object:
        raw = env.get(ENV_PREFIX + name.upper().replace("-", "_"))
        return fallback if raw is None else convert(raw)  # type: ignore[operator]

    parser = argparse.ArgumentParser(
        prog="specdouble", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"specdouble {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="start the mock server", description="Start the mock server.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default=default("host", DEFAULT_HOST),
                       help="interface to bind (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=default("port", DEFAULT_PORT, _port),
                       help="port to bind, 0 for any free one (default: %(default)s)")
    serve.add_argument("--seed", type=int, default=default("seed", DEFAULT_SEED, int),
                       help="seed of all generated data; same seed, same data "
                            "(default: %(default)s)")
    serve.add_argument("--fixtures", type=_existing_dir,
                       default=default("fixtures", fixtures_dir(), _existing_dir),
                       help="folder of fixture files: auth.yaml and one YAML per service "
                            "(default: the bundled fixtures)")
    serve.add_argument("--specs", type=_existing_dir,
                       default=default("specs", specs_dir(), _existing_dir),
                       help="folder of the OpenAPI specs (default: the bundled specs)")
    serve.add_argument("--cors-origin", action="append", dest="cors_origins",
                       help="allowed CORS origin; repeat for several (default: any origin, *)")
    serve.add_argument("--max-body", type=_positive_int,
                       default=default("max-body", DEFAULT_MAX_BODY, _positive_int),
                       help="largest request body in bytes; larger is 413 "
                            "(default: %(default)s)")
    serve.add_argument("--job-delay", type=_non_negative_float,
                       default=default("job-delay", 0.0, _non_negative_float),
                       help="seconds a pick-pack recalculation job stays IN_PROGRESS "
                            "(default: 0, finished before the next request)")
    serve.add_argument("--strict-saas-token", action="store_true",
                       default=default("strict-saas-token", False, _flag),
                       help="require a well-formed, unexpired JWT in the saas-token header")
    admin = serve.add_argument_group(
        "admin API (/__admin: journal, faults, reset, state, tenants; see GET /)")
    admin.add_argument("--admin-token", metavar="TOKEN", default=default("admin-token", None),
                       help="require 'Authorization: Bearer TOKEN' on /__admin and accept it "
                            "from any address (default: no token, loopback clients only)")
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
    serve.add_argument("--log-level", default=default("log-level", "warning"),
                       choices=["critical", "error", "warning", "info", "debug"],
                       help="server log level (default: %(default)s)")
    serve.add_argument("--access-log", action="store_true",
                       default=default("access-log", False, _flag),
                       help="log every request")
    return parser


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    origins = args.cors_origins
    if not origins:
        raw = env.get(ENV_PREFIX + "CORS_ORIGIN")
        origins = [o.strip() for o in raw.split(",") if o.strip()] if raw else ["*"]
    return Settings(
        host=args.host, port=args.port, seed=args.seed, fixtures_dir=args.fixtures,
        specs_dir=args.specs, cors_origins=tuple(origins), max_body=args.max_body,
        job_delay=args.job_delay, strict_saas_token=args.strict_saas_token,
        check_responses=args.check_responses,
        admin_token=args.admin_token or None, journal_size=args.journal_size,
        journal_body_limit=args.journal_body_limit, faults_file=args.faults,
        state_file=args.state, state_url=args.state_url or None,
        state_prefix=args.state_prefix, engine=args.engine, differential=args.differential,
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    parser = build_parser(env)
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    if args.workers > 1 and not args.state_url:
        print(f"specdouble: cannot start: --workers {args.workers} needs --state-url: the "
              "memory state is per process, so each worker would be a world of its own; "
              "keep the state in Redis (--state-url redis://127.0.0.1:6379/0)", file=sys.stderr)
        return 2
    settings = settings_from(args, env)
    try:
        from specdouble.http.server import serve

        serve(settings, args.log_level, args.access_log, args.workers)
    except (FileNotFoundError, ValueError, StoreUnavailable) as err:
        print(f"specdouble: cannot start: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
