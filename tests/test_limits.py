"""Clients that send too much or too slowly, on a real uvicorn server: 431, 408, 503."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from specdouble.support.settings import Settings
from tests.liveserver import Live, live_server

# one process runs them all: the module-scoped server starts once (--dist loadgroup)
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("limits")]

GUARD = 20.0  # a socket timeout far above the server's read timeout: only a hang hits it


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    settings = dataclasses.replace(Settings(), max_header_bytes=8 * 1024, read_timeout=0.5,
                                   max_connections=4)
    with live_server(settings) as server:
        yield server


def _exchange(live: Live, data: bytes) -> bytes:
    """Send ``data`` (maybe an incomplete request) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=GUARD) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_headers_over_the_limit_are_431(live: Live) -> None:
    response = httpx.get(f"{live.base_url}/", headers={"X-Big": "a" * (16 * 1024)})
    assert response.status_code == 431
    assert "headers" in response.text and response.headers["connection"] == "close"
    assert httpx.get(f"{live.base_url}/", headers={"X-Small": "a" * 1024}).status_code == 200


def test_a_client_stalling_in_its_headers_gets_408_and_is_closed(live: Live) -> None:
    answer = _exchange(live, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"not received in time" in answer


def test_a_client_stalling_in_its_body_gets_408_and_is_closed(live: Live) -> None:
    answer = _exchange(live, b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\n"
                             b"Content-Length: 100\r\n\r\ngrant_type=")
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_body_sent_slowly_but_steadily_is_read_to_the_end(live: Live) -> None:
    """The timeout is between two parts: each part in time, the whole well over it."""
    body = b"grant_type=client_credentials&client_id=x&client_secret=y"
    with socket.create_connection(("127.0.0.1", live.port), timeout=GUARD) as sock:
        sock.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Connection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        for start in range(0, len(body), 12):  # 5 parts, 0.3 s apart: 1.2 s in all
            time.sleep(0.3)
            sock.sendall(body[start:start + 12])
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert not answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]


def test_answers_on_a_kept_alive_connection_come_whole_head_and_body(live: Live) -> None:
    """A GET, a HEAD (no body to carry its head), a POST waiting for 100-continue and a
    GET again, on one connection: each answer complete, none held back."""
    with httpx.Client(base_url=live.base_url, timeout=GUARD) as client:
        assert client.get("/").json()["services"]
        head = client.head("/")
        assert head.status_code in (200, 405) and head.content == b""
        token = client.post("/oauth/token", headers={"Expect": "100-continue"},
                            data={"grant_type": "client_credentials",
                                  "client_id": "acme-client", "client_secret": "acme-secret"})
        assert token.status_code == 200 and token.json()["access_token"]
        assert client.get("/").status_code == 200
    with socket.create_connection(("127.0.0.1", live.port), timeout=GUARD) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 ")  # the head alone, at once


def test_a_connection_that_never_sends_is_closed(live: Live) -> None:
    assert _exchange(live, b"").startswith(b"HTTP/1.1 408 ")


def test_connections_beyond_the_limit_are_503() -> None:
    settings = dataclasses.replace(Settings(), read_timeout=GUARD, max_connections=4)
    with live_server(settings) as live:
        held = [socket.create_connection(("127.0.0.1", live.port), timeout=GUARD)
                for _ in range(4)]
        try:
            answer = _exchange(live, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     b"Connection: close\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 503 ")
        finally:
            for sock in held:
                sock.close()


def test_other_clients_are_answered_while_a_tenant_is_seeded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeding a created tenant takes a second of CPU: it must not hold the event loop."""
    import threading

    from specdouble.world import tenants

    seeding, release = threading.Event(), threading.Event()
    real_seed = tenants.seed_tenant

    def slow_seed(*args: object, **kwargs: object) -> object:
        if args[0] == "busy1":  # the default tenants seed at start-up as usual
            seeding.set()
            release.wait(GUARD)
        return real_seed(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tenants, "seed_tenant", slow_seed)
    with live_server(Settings()) as live:
        created: list[httpx.Response] = []
        creator = threading.Thread(target=lambda: created.append(httpx.post(
            f"{live.base_url}/__admin/tenants", json={"name": "busy1"}, timeout=GUARD)))
        creator.start()
        try:
            assert seeding.wait(GUARD)
            during = httpx.get(f"{live.base_url}/pick-pack/acme/events",
                               headers={"Authorization": "Bearer acme-all"}, timeout=5.0)
            assert during.status_code == 200
            assert not created  # the creation is still seeding
        finally:
            release.set()
            creator.join(GUARD)
        assert created[0].status_code == 201


def test_a_deleted_tenant_leaves_no_seeded_data_behind() -> None:
    from starlette.testclient import TestClient

    from specdouble.http.app import create_app

    app = create_app(Settings())
    runtime = app.runtime  # type: ignore[attr-defined]
    with TestClient(app) as client:
        assert client.post("/__admin/tenants", json={"name": "gone1", "seed": 3}).status_code == 201
        assert client.delete("/__admin/tenants/gone1").status_code == 204
    assert not [key for key in runtime.seeded if key[0] == "gone1"]
    assert not runtime.store.has_tenant("gone1")
