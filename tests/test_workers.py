"""``serve --workers N`` and replicas on one Redis prefix: one world, set up once.

The start-up files apply once however many workers start, and a server that
starts later on the same prefix joins the world as it is (seeding happens
once); a reset from any process reaches all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.liveserver import served, serving, spawned_workers, wait_gone
from tests.redisserver import RedisServer, redis_binary

pytestmark = pytest.mark.live

ACME = {"Authorization": "Bearer acme-all"}


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer(redis_binary())
    server.start()
    yield server
    server.stop()


def event(event_id: str) -> dict[str, object]:
    return {"eventId": event_id, "orderNumber": "123", "productId": "123", "unit": "H87",
            "timestamp": "2031-01-01T00:00:00.000Z", "site": "main", "pickedAmount": 0,
            "packedAmount": 0}


def event_ids(base: str) -> list[str]:
    answer = httpx.get(f"{base}/pick-pack/acme/events", params={"pageSize": 1000}, headers=ACME)
    assert answer.status_code == 200, answer.text
    return [e["eventId"] for e in answer.json()]


def test_start_files_apply_once_however_many_workers(redis: RedisServer, tmp_path: Path) -> None:
    state = {"tenant": "cijob", "collections": {}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "faults.yaml").write_text(
        "- {operationId: listEvents, tenant: acme, status: 500, times: 2}\n")
    with served("--workers", "3", "--state-url", redis.url, "--state-prefix", "files",
                "--faults", str(tmp_path / "faults.yaml"),
                "--state", str(tmp_path / "state.json")) as base:
        rules = httpx.get(f"{base}/__admin/faults").json()["faults"]
        assert [(r["operationId"], r["remaining"]) for r in rules] == [("listEvents", 2)]
        answers = [httpx.get(f"{base}/pick-pack/acme/events", headers=ACME).status_code
                   for _ in range(4)]
        assert answers == [500, 500, 200, 200]
        tenants = [t["name"] for t in httpx.get(f"{base}/__admin/tenants").json()["tenants"]]
        assert "cijob" in tenants
        created = httpx.get(f"{base}/pick-pack/cijob/events",
                            headers={"Authorization": "Bearer cijob-all"})
        assert created.status_code == 200 and created.json() == []


def test_a_server_started_later_on_the_prefix_joins_the_world(redis: RedisServer) -> None:
    prefix = f"join-{uuid.uuid4().hex[:8]}"
    with served("--workers", "2", "--state-url", redis.url, "--state-prefix", prefix) as first:
        posted = httpx.post(f"{first}/pick-pack/acme/events", json=event("written-first"),
                            headers={**ACME, "saas-token": "text"})
        assert posted.status_code == 200, posted.text
        with served("--state-url", redis.url, "--state-prefix", prefix) as second:
            assert "written-first" in event_ids(second)  # not seeded over
            journal = httpx.get(f"{second}/__admin/requests",
                                params={"operationId": "createEvent"}).json()
            assert journal["count"] == 1  # written by a worker of the first server
            assert httpx.post(f"{second}/__admin/reset").status_code == 200
            assert "written-first" not in event_ids(first)  # the reset reached every process
    with served("--state-url", redis.url, "--state-prefix", prefix) as restarted:
        assert "written-first" not in event_ids(restarted)
        assert event_ids(restarted)  # the seeded events are there: the world outlived both


def test_workers_stop_when_their_supervisor_is_killed(redis: RedisServer) -> None:
    """A SIGKILLed ``serve --workers`` leaves no orphan worker holding the port."""
    with serving("--workers", "2", "--state-url", redis.url, "--state-prefix", "orphans") as server:
        workers = spawned_workers(server.process.pid)
        assert len(workers) == 2
        assert httpx.get(f"{server.base_url}/pick-pack/acme/events",
                         headers=ACME).status_code == 200
        server.process.kill()
        server.process.wait()
        wait_gone(workers)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/pick-pack/acme/events", headers=ACME, timeout=2)
