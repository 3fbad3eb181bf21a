"""Who may call ``/__admin``: loopback clients, or anyone with the admin token.

Without ``--admin-token`` only a loopback client (127.0.0.0/8, ::1, an
IPv4-mapped loopback, a Unix socket) is answered; the in-process Starlette
test client (host ``testclient``) counts as local, so tests need no network.
With a token every admin request must carry ``Authorization: Bearer <token>``,
whatever its address: a token is what makes remote access safe. The console's
page and files (``http/console``) hold no data and pass: the page asks for the
token and sends it with each admin call.

A loopback client can still be a web page in the user's browser, so the admin
API is also closed to other origins: no CORS answer unless
``--admin-cors-origin`` names the origin; without a token, a ``Host`` other
than a loopback name or the configured ``--host`` is refused (DNS rebinding);
and a state-changing call must be JSON, or carry no body, no ``Content-Type``
and no foreign ``Origin`` (no "simple" cross-site request reaches it).
``/__admin/health`` skips the ``Host`` check, for probes.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from specdouble.http.console import is_console_path
from specdouble.http.middleware import parse_media_type, send_problem
from specdouble.support.problems import Problem

ADMIN_PREFIX = "/__admin"
HEALTH = f"{ADMIN_PREFIX}/health"
TEST_CLIENT_HOST = "testclient"
# The Host the in-process Starlette test client sends.
TEST_SERVER_HOST = "testserver"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", TEST_SERVER_HOST})


def is_local(client: tuple[str, int] | list | None) -> bool:
    if not client:
        return True
    host = str(client[0])
    if host == TEST_CLIENT_HOST:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _host_name(host: str) -> str:
    """``Host`` without its port and brackets, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _token_problem(scope: Scope, admin_token: str) -> Problem | None:
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and secrets.compare_digest(
            token.strip().encode(), admin_token.encode()):
        return None
    return Problem(401, "The admin API requires the admin token.",
                   ["header.Authorization: expected 'Bearer <admin token>'"],
                   headers={"WWW-Authenticate": 'Bearer realm="specdouble-admin"'})


def _host_problem(scope: Scope, server_host: str | None) -> Problem | None:
    """DNS rebinding: a page of another site, resolved to 127.0.0.1, sends its own Host."""
    if scope.get("path") == HEALTH:
        return None
    given = _header(scope, b"host")
    name = _host_name(given or "")
    if given is None or is_loopback_name(name) or (
            server_host and name == _host_name(server_host)):
        return None
    return Problem(403, "The admin API answers only requests addressed to a loopback name "
                   "unless --admin-token is set.",
                   [f"header.Host: {given!r} is neither a loopback name nor the server's --host"])


def _csrf_problem(scope: Scope, cors_origins: Sequence[str]) -> Problem | None:
    """A state-changing call must not be one a foreign page can send without asking."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return None
    content_type = _header(scope, b"content-type")
    if content_type is not None:
        parsed = parse_media_type(content_type)
        if parsed is None or parsed[0] != "application/json":
            return Problem(415, "State-changing admin calls take JSON only.",
                           [f"header.Content-Type: {content_type!r}: expected application/json"])
        return None
    origin = _header(scope, b"origin")
    if origin is not None and origin not in cors_origins and "*" not in cors_origins:
        return Problem(403, "The admin API does not accept state changes from other origins.",
                       [f"header.Origin: {origin!r} is not an --admin-cors-origin"])
    return None


def check(scope: Scope, admin_token: str | None, server_host: str | None = None,
          cors_origins: Sequence[str] = ()) -> Problem | None:
    """None when the request may reach the admin API, else the Problem to answer."""
    if admin_token:
        problem = _token_problem(scope, admin_token)
    elif not is_local(scope.get("client")):
        host = scope["client"][0]
        problem = Problem(403, "The admin API answers only on loopback unless --admin-token "
                          "is set.", [f"client: {host} is not a loopback address"])
    else:
        problem = _host_problem(scope, server_host)
    return problem or _csrf_problem(scope, cors_origins)


class AdminGuardMiddleware:
    def __init__(self, app: ASGIApp, admin_token: str | None, server_host: str | None = None,
                 cors_origins: Sequence[str] = ()) -> None:
        self.app = app
        self.admin_token = admin_token
        self.server_host = server_host
        self.cors_origins = tuple(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(ADMIN_PREFIX) and not is_console_path(path):
            problem = check(scope, self.admin_token, self.server_host, self.cors_origins)
            if problem is not None:
                await send_problem(send, problem, scope["path"])
                return
        await self.app(scope, receive, send)


class SplitCORSMiddleware:
    """CORS for the mocked APIs as configured (any origin by default); for ``/__admin``
    only the ``--admin-cors-origin`` origins, and none unless given."""

    def __init__(self, app: ASGIApp, cors_origins: Sequence[str],
                 admin_cors_origins: Sequence[str] = (), **options: object) -> None:
        self.app = app
        self.apis = CORSMiddleware(app, allow_origins=list(cors_origins), **options)  # type: ignore[arg-type]
        self.admin = (CORSMiddleware(app, allow_origins=list(admin_cors_origins), **options)  # type: ignore[arg-type]
                      if admin_cors_origins else app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admin = scope["type"] == "http" and scope.get("path", "").startswith(ADMIN_PREFIX)
        await (self.admin if admin else self.apis)(scope, receive, send)
