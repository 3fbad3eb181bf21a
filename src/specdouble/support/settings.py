"""Settings: everything the CLI and environment decide, frozen once.

Nothing below ``app.py`` reads flags or environment variables; it gets a
:class:`Settings`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from specdouble.support.resources import fixtures_dir, specs_dir
from specdouble.support.seeds import DEFAULT_SEED

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_JOURNAL_BODY_LIMIT = 8192
DEFAULT_STATE_PREFIX = "specdouble"
# Slow or oversized clients: all request headers together (431 above), seconds to
# send the headers / between body chunks (408), open connections (503 above).
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_READ_TIMEOUT = 15.0
DEFAULT_MAX_CONNECTIONS = 1000
# Seconds a request may wait on an unreachable state store before its documented 500.
DEFAULT_STATE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    seed: int = DEFAULT_SEED
    fixtures_dir: Path = field(default_factory=fixtures_dir)
    specs_dir: Path = field(default_factory=specs_dir)
    cors_origins: tuple[str, ...] = ("*",)
    max_body: int = DEFAULT_MAX_BODY
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    job_delay: float = 0.0
    strict_saas_token: bool = False
    # Check every answer against its spec (logged and journaled); off for speed.
    check_responses: bool = False
    # Admin API: journal ring size and body cut (bytes), optional bearer token,
    # fault rules and a state export loaded at start.
    journal_size: int = DEFAULT_JOURNAL_SIZE
    journal_body_limit: int = DEFAULT_JOURNAL_BODY_LIMIT
    admin_token: str | None = None
    # Origins whose pages may call /__admin (CORS); none by default.
    admin_cors_origins: tuple[str, ...] = ()
    faults_file: Path | None = None
    state_file: Path | None = None
    # Shared state: a Redis URL (memory when None) and the prefix of every key,
    # so several mock instances can share one Redis.
    state_url: str | None = None
    state_prefix: str = DEFAULT_STATE_PREFIX
    # How long a request waits on a state store it cannot reach (each Redis call,
    # and the replays after a connection lost mid-transaction).
    state_timeout: float = DEFAULT_STATE_TIMEOUT
    # One concise console line per mocked request (``--log-requests``).
    log_requests: bool = False
    # The request path: "compiled" (the engine, Connexion for what it declines)
    # or "connexion" (every request through the Connexion stack).
    engine: str = "compiled"
    # Send each request the compiled path serves through both paths and log
    # any difference (tests fail on one).
    differential: bool = False
    # ``serve --spec``: user specs served beside the built-in services, generically.
    user_specs: tuple[str, ...] = ()
    # Where the resolved built-in specs are kept between starts (spec/loader.py);
    # None: parsed on every start. The command line sets it from the environment.
    spec_cache: Path | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` serves this machine only (a name other than localhost: no)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
