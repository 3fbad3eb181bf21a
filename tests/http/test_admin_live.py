"""Each fault kind seen by a real HTTP client (httpx) against a real uvicorn server.

A dropped connection only exists on a real socket, so these tests run the app
under uvicorn on a free loopback port. Delays are measured loosely: only a
lower bound (a sleep is never shorter), never an upper one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from specdouble.http.app import create_app
from specdouble.support.settings import Settings

# one process runs them all: the module-scoped server starts once (--dist loadgroup)
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("admin-live")]

ACME = {"Authorization": "Bearer acme-all"}
EVENTS = "/pick-pack/acme/events"
ASSIGNEE = {"id": "u1", "siteCode": "main", "firstName": "Ada", "lastName": "Lovelace"}


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0,
                                log_level="critical", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live() -> Iterator[httpx.Client]:
    with LiveServer(Settings()) as client:
        yield client


@pytest.fixture(autouse=True)
def clean(live: httpx.Client) -> None:
    live.delete("/__admin/faults")
    live.delete("/__admin/requests")
    live.post("/__admin/reset")


def fault(live: httpx.Client, **rule: Any) -> dict[str, Any]:
    response = live.post("/__admin/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def state(live: httpx.Client) -> dict[str, Any]:
    return live.get("/__admin/state/acme").json()


def test_status_fault_answers_the_documented_shape_then_expires(live: httpx.Client) -> None:
    rule = fault(live, operationId="addAssignee", status=409, times=1)
    before = state(live)
    response = live.post("/pick-pack/acme/orders/123/assignees", json=ASSIGNEE, headers=ACME)
    assert response.status_code == 409
    assert response.json()["code"] == 409 and response.json()["message"] == "conflict"
    assert state(live) == before  # a fault never changes state
    assert live.post("/pick-pack/acme/orders/123/assignees", json=ASSIGNEE,
                     headers=ACME).status_code == 200
    assert live.get("/__admin/faults").json() == {"faults": []}
    (entry,) = live.get("/__admin/requests", params={"status": 409}).json()["requests"]
    assert entry["fault"] == rule["id"]
    assert '"firstName"' in entry["request"]["body"]  # the faulted request's body is journaled


def test_status_fault_in_shopatron_shape(live: httpx.Client) -> None:
    fault(live, method="POST", path="/api/v2/*", status=500)
    response = live.post("/api/v2/order/action/assign", json={},
                         headers={"Authorization": "Bearer shopatron-test"})
    assert response.status_code == 500
    body = response.json()
    assert (body["status"], body["code"], body["error"]) == (500, 5006, "GENERIC_SERVER_ERROR")


def test_delay_then_normal_answer(live: httpx.Client) -> None:
    fault(live, operationId="listEvents", delayMs=300, times=1)
    started = time.perf_counter()
    response = live.get(EVENTS, params={"pageSize": 1}, headers=ACME)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and len(response.json()) == 1
    assert elapsed >= 0.25  # the delay happened (lower bound only)


def test_connection_reset_raises_in_the_client(live: httpx.Client) -> None:
    fault(live, operationId="listEvents", fault="connection_reset", times=1)
    with pytest.raises(httpx.TransportError) as caught:
        live.get(EVENTS, headers=ACME)
    assert isinstance(caught.value, httpx.ReadError | httpx.RemoteProtocolError)
    # the server is fine afterwards, and the journal recorded the drop
    assert live.get(EVENTS, params={"pageSize": 1}, headers=ACME).status_code == 200
    dropped = live.get("/__admin/requests", params={"operationId": "listEvents"}).json()
    assert [e["status"] for e in dropped["requests"]] == [200, None]


def test_empty_response_raises_in_the_client(live: httpx.Client) -> None:
    fault(live, path="/pick-pack/acme/*", fault="empty_response", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        live.get(EVENTS, headers=ACME)
    assert live.get(EVENTS, params={"pageSize": 1}, headers=ACME).status_code == 200


def test_dropped_write_changes_nothing(live: httpx.Client) -> None:
    fault(live, operationId="addAssignee", fault="connection_reset")
    before = state(live)
    with pytest.raises(httpx.TransportError):
        live.post("/pick-pack/acme/orders/123/assignees", json=ASSIGNEE, headers=ACME)
    assert state(live) == before


def test_probability_over_bounded_calls(live: httpx.Client) -> None:
    fault(live, operationId="listEvents", status=500, probability=0.5)
    statuses = [live.get(EVENTS, params={"pageSize": 1}, headers=ACME).status_code
                for _ in range(60)]
    assert set(statuses) == {200, 500}
    assert 10 <= statuses.count(500) <= 50  # 30 expected; the rule's RNG is seeded


def test_tenant_matcher(live: httpx.Client) -> None:
    fault(live, tenant="globex", status=503)
    assert live.get(EVENTS, params={"pageSize": 1}, headers=ACME).status_code == 200
    globex = live.get("/pick-pack/globex/events", headers={"Authorization": "Bearer globex-all"})
    assert globex.status_code == 503


def test_cli_loads_faults_and_state_files(tmp_path: Path) -> None:
    """``serve --faults FILE --state FILE``: set up a CI mock without HTTP calls."""
    with LiveServer(Settings()) as source:
        source.post("/pick-pack/acme/orders/123/assignees", json=ASSIGNEE, headers=ACME)
        exported = source.get("/__admin/state/acme").json()
    exported["tenant"] = "cijob"
    (tmp_path / "state.json").write_text(json.dumps(exported))
    (tmp_path / "faults.yaml").write_text(
        "- {operationId: listEvents, tenant: cijob, status: 500, times: 1}\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "specdouble", "serve", "--port", str(port),
         "--faults", str(tmp_path / "faults.yaml"), "--state", str(tmp_path / "state.json")],
        env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = "-"  # the start stages come first, then the banner
        while process.stdout and banner and "serving on" not in banner:
            banner = process.stdout.readline()
        assert f":{port}" in banner, banner
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": "Bearer cijob-all"}
        assert httpx.get(f"{base}/pick-pack/cijob/events", headers=headers).status_code == 500
        assert httpx.get(f"{base}/pick-pack/cijob/events", headers=headers).status_code == 200
        imported = httpx.get(f"{base}/__admin/state/cijob").json()
        assert imported["collections"] == exported["collections"]
    finally:
        process.terminate()
        process.wait(timeout=10)
