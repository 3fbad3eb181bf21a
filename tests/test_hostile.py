"""Hostile input: each case of tests/hostile_cases.py gets its error, and state stays put.

The table runs in-process through the checking client (every answer is also
checked against its spec). What needs a real socket runs on uvicorn: a body
streamed past the limit is refused after at most ``--max-body`` plus one
transport read, an unnormalized ``/../`` path, and the pathological regex
under a client timeout. Every wait is bounded; no timing is asserted.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from specdouble.http.app import create_app
from specdouble.support.settings import Settings
from specdouble.world.tenants import restart
from tests.conftest import CheckingClient
from tests.hostile_cases import CASES, DOC, LE_COMPANY, LONG_NAME, MAX_BODY, Case, render_doc
from tests.liveserver import Live, live_server

GUARD_SECONDS = 60.0  # generous: a hang fails the test instead of blocking the run
ACME = {"Authorization": "Bearer acme-all"}


@pytest.fixture(scope="module")
def hostile_app() -> AsyncApp:
    return create_app(Settings(max_body=MAX_BODY))


@pytest.fixture
def hostile(hostile_app: AsyncApp) -> Iterator[TestClient]:
    restart(hostile_app.runtime)  # type: ignore[attr-defined]
    with CheckingClient(hostile_app) as client:
        yield client


def everything(runtime: Any) -> dict[str, Any]:
    return {tenant: runtime.store.export_tenant(tenant) for tenant in runtime.store.tenants()}


def guarded(call: Any) -> Any:
    """Run ``call`` in a daemon thread; fail (not hang) if it outlives the guard."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(GUARD_SECONDS)
    assert not thread.is_alive(), f"no answer within {GUARD_SECONDS} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _chunks(body: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request_gets_its_error_and_changes_nothing(
    hostile: TestClient, case: Case
) -> None:
    runtime = hostile.app.runtime  # type: ignore[attr-defined]
    if case.prepare is not None:
        case.prepare(runtime.store)
    before = everything(runtime)
    journaled = len(runtime.journal)
    content = _chunks(case.body) if case.chunked and case.body is not None else case.body

    client = hostile if case.spec_checked else TestClient(hostile.app)
    response = guarded(lambda: client.request(case.method, case.target, content=content,
                                              headers=dict(case.headers)))

    status, excerpt = case.expected()
    assert response.status_code == status, response.text[:500]
    assert excerpt in response.text, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    for name in case.absent_headers:
        assert name not in response.headers
    assert everything(runtime) == before
    if not case.target.startswith("/__admin"):
        assert len(runtime.journal) == journaled + 1
        (entry,) = runtime.journal.entries(limit=1)
        assert (entry.method, entry.status) == (case.method, status)


def test_robustness_doc_is_generated_from_the_cases() -> None:
    assert DOC.read_text(encoding="utf-8") == render_doc(), (
        "docs/robustness.md is stale: run python -m tests.hostile_cases --write-doc"
    )


def test_case_ids_are_unique_and_every_group_has_a_refusal() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    groups = {c.group for c in CASES}
    assert all(any(c.status >= 400 for c in CASES if c.group == g) for g in groups)


# --- on a real socket ------------------------------------------------------------------

STREAMED = 2 * 1024 * 1024
TRANSPORT_READ = 256 * 1024  # uvicorn hands the body on in reads of at most ~64 KiB


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(Settings(max_body=1024)) as server:
        yield server


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=GUARD_SECONDS) as client:
        assert client.post("/__admin/reset").status_code == 200
        assert client.delete("/__admin/requests").status_code == 204
        yield client


class Stream:
    """A request body produced piece by piece, counting what the client produced."""

    def __init__(self, total: int, piece: int = 8192) -> None:
        self.total, self.piece, self.produced = total, piece, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.produced < self.total:
            self.produced += self.piece
            yield b"x" * self.piece


@pytest.mark.live
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_streamed_body_over_the_limit_is_refused_unread(
    http: httpx.Client, declared: bool
) -> None:
    before = http.get("/__admin/state/acme").json()
    stream = Stream(STREAMED)
    headers = {**ACME, "Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(STREAMED)
    try:
        response = http.post("/pick-pack/acme/jobs/recalculations", content=stream,
                             headers=headers)
    except httpx.WriteError:  # the server may close before the client finishes sending
        response = None
    if response is not None:
        assert response.status_code == 413
        assert response.json() == {
            "code": 413, "message": "payload_too_large",
            "detailInfo": "The request body exceeds the limit of 1024 bytes. "
                          "body: larger than 1024 bytes"}
    (entry,) = http.get("/__admin/requests",
                        params={"operationId": "createRecalculation"}).json()["requests"]
    assert entry["status"] == 413
    # What the app read of the body: nothing when the length was declared, else at
    # most the limit plus one transport read; never the 2 MB the client streamed.
    read = entry["request"]["size"]
    assert read == 0 if declared else 1024 < read <= 1024 + TRANSPORT_READ
    assert http.get("/__admin/state/acme").json() == before
    assert http.get("/pick-pack/acme/events", params={"pageSize": 1},
                    headers=ACME).status_code == 200


@pytest.mark.live
def test_chunked_body_within_the_limit_is_read_and_validated(http: httpx.Client) -> None:
    pieces = [b'{"jobType":', b' "MANUAL", "orderIds": ', b'["123"]}']
    response = http.post("/pick-pack/acme/jobs/recalculations", content=iter(pieces),
                         headers={**ACME, "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["jobId"]
    bad = http.post("/pick-pack/acme/jobs/recalculations", content=iter([b'{"jobType":', b"1}"]),
                    headers={**ACME, "Content-Type": "application/json"})
    assert bad.status_code == 400
    assert "body.jobType" in bad.json()["detailInfo"]


def _raw(live: Live, target: str, extra: bytes = b"") -> tuple[bytes, bytes]:
    """Send bytes as they are (an HTTP client would normalize or refuse them)."""
    request = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer acme-all\r\n"
               "Connection: close\r\n").encode() + extra + b"\r\n"
    with socket.create_connection(("127.0.0.1", live.port), timeout=GUARD_SECONDS) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def _raw_get(live: Live, target: str) -> tuple[int, bytes]:
    head, body = _raw(live, target)
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.live
@pytest.mark.parametrize("header", [b"saas-token: a\rSet-Cookie: x=1", b"X-A: a\x00b",
                                    b"X-A: a\nSet-Cookie: x=1"], ids=["CR", "NUL", "LF"])
def test_control_characters_in_raw_headers_never_reach_the_app(
    live: Live, http: httpx.Client, header: bytes
) -> None:
    before = http.get("/__admin/state/acme").json()
    head, body = _raw(live, "/pick-pack/acme/events?pageSize=1", header + b"\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"set-cookie" not in head.lower()
    assert body == b"Invalid HTTP request received."  # uvicorn's own answer
    assert http.get("/__admin/requests").json()["requests"] == []
    assert http.get("/__admin/state/acme").json() == before


@pytest.mark.live
@pytest.mark.parametrize(("target", "status", "excerpt"), [
    ("/pick-pack/acme/../../__admin/state/acme", 404,
     b'"detailInfo":"No operation is mocked at /pick-pack/acme/../../__admin/state/acme."'),
    ("/customer-management/acme/contact-assignments/../../../__admin/state/globex", 400,
     b'"details":["path.contactAssignmentId: must not contain \'/\'"]'),
    ("/pick-pack/globex/../acme/events", 400, b"path.tenant: must not contain '/'"),
])
def test_unnormalized_dot_segments_reach_no_other_route(
    live: Live, target: str, status: int, excerpt: bytes
) -> None:
    """uvicorn hands the path on as sent; no route treats `..` as a way up."""
    answered, body = _raw_get(live, target)
    assert (answered, excerpt in body) == (status, True), body
    assert b"collections" not in body and b"eventId" not in body


@pytest.mark.live
def test_catastrophic_regex_on_long_input_answers_within_the_guard(
    live: Live, http: httpx.Client
) -> None:
    runtime = live.app.runtime  # type: ignore[attr-defined]
    with runtime.store.transaction("acme") as tx:
        entity = tx.get("cm.legalEntities", LE_COMPANY)
        entity["name"] = LONG_NAME
        tx.put("cm.legalEntities", LE_COMPANY, entity)
    q = urllib.parse.quote("legalEntity.name:~(a+)+$ legalEntity.name:~^(a|aa)+$")
    response = http.get(f"/customer-management/acme/contact-assignments?q={q}&fields=id",
                        headers=ACME)  # the client's timeout is the guard
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("target", ["/pick-pack/acme/jobs/recalculations",
                                    "/pick-pack/acme/jobs/recalculations?"
                                    + "&".join(f"p{i}=1" for i in range(300))],
                         ids=["body-over-limit", "too-many-params"])
def test_edge_refusals_are_readable_from_another_origin(hostile: TestClient, target: str) -> None:
    """A frontend on another port must be able to read a 413 or too-many-parameters 400."""
    response = hostile.post(target, content=b"x" * (MAX_BODY + 1),
                            headers={**ACME, "Content-Type": "application/json",
                                     "Origin": "http://localhost:3000"})
    assert response.status_code in (400, 413)
    assert response.headers.get("access-control-allow-origin") == "*"
