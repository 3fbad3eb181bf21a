"""Who may call ``/__admin``: loopback clients, or anyone with the admin token.

Without ``--admin-token`` only a loopback client (127.0.0.0/8, ::1, an
IPv4-mapped loopback, a Unix socket) is answered; the in-process Starlette
test client (host ``testclient``) counts as local, so tests need no network.
With a token every admin request must carry ``Authorization: Bearer <token>``,
whatever its address: a token is what makes remote access safe. The console's
page and files (``http/console``) hold no data and pass: the page asks for the
token and sends it with each admin call.
"""

from __future__ import annotations

import ipaddress
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from specdouble.http.console import is_console_path
from specdouble.http.middleware import send_problem
from specdouble.support.problems import Problem

ADMIN_PREFIX = "/__admin"
TEST_CLIENT_HOST = "testclient"


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


def check(scope: Scope, admin_token: str | None) -> Problem | None:
    """None when the request may reach the admin API, else the Problem to answer."""
    if admin_token:
        given = ""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value.decode("latin-1")
        scheme, _, token = given.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(
                token.strip().encode(), admin_token.encode()):
            return None
        return Problem(401, "The admin API requires the admin token.",
                       ["header.Authorization: expected 'Bearer <admin token>'"],
                       headers={"WWW-Authenticate": 'Bearer realm="specdouble-admin"'})
    if is_local(scope.get("client")):
        return None
    host = scope["client"][0]
    return Problem(403, "The admin API answers only on loopback unless --admin-token is set.",
                   [f"client: {host} is not a loopback address"])


class AdminGuardMiddleware:
    def __init__(self, app: ASGIApp, admin_token: str | None) -> None:
        self.app = app
        self.admin_token = admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(ADMIN_PREFIX) and not is_console_path(path):
            problem = check(scope, self.admin_token)
            if problem is not None:
                await send_problem(send, problem, scope["path"])
                return
        await self.app(scope, receive, send)
