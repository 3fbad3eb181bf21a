"""One world across workers: ``serve --workers 4`` on one Redis, hundreds of requests at once.

The command as users start it: four uvicorn worker processes on one socket,
the kernel spreading connections over them. Atomicity then rests on Redis
alone (WATCH/MULTI, replays, atomic counters), which is what these tests
check: no lost or doubled write, exactly one winner where the rules allow
one, fault ``times`` counted down once, tokens and the journal shared.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import redis as redis_client

from tests.liveserver import distinct_packing_events, served
from tests.redisserver import RedisServer, redis_binary

pytestmark = pytest.mark.live

ACME = {"Authorization": "Bearer acme-all"}
EVENT_HEADERS = {**ACME, "saas-token": "text"}
CM = "/customer-management/acme/contact-assignments"
WORKERS = 4
PARALLEL = 160
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=32)
TIMEOUT = httpx.Timeout(60.0)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The base URL of ``specdouble serve --workers 4`` on a Redis of its own."""
    redis = RedisServer(redis_binary())
    redis.start()
    try:
        with served("--workers", str(WORKERS), "--state-url", redis.url,
                    "--state-prefix", f"conc-{uuid.uuid4().hex[:8]}") as base:
            yield base
    finally:
        redis.stop()


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=TIMEOUT) as client:
        assert client.post("/__admin/reset").status_code == 200
        assert client.delete("/__admin/requests").status_code == 204
        yield client


def fire(server: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send every (method, path, kwargs) at once over many connections."""

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server, limits=LIMITS, timeout=TIMEOUT) as client:
            return list(await asyncio.gather(
                *(client.request(method, path, **kwargs) for method, path, kwargs in requests)))

    return asyncio.run(run())


def collections(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    response = admin.get("/__admin/state/acme")
    assert response.status_code == 200
    return response.json()["collections"]


def test_events_on_four_workers_all_land_exactly_once(server: str, admin: httpx.Client) -> None:
    before = collections(admin)
    events = distinct_packing_events(before["pickpack.orders"], PARALLEL)
    responses = fire(server, [("POST", "/pick-pack/acme/events",
                                {"json": e, "headers": EVENT_HEADERS}) for e in events])

    assert [r.status_code for r in responses] == [200] * PARALLEL, {
        r.status_code: r.text for r in responses if r.status_code != 200}
    after = collections(admin)
    seen = Counter(e["eventId"] for e in after["pickpack.events"].values())
    assert {f"conc-{i:04d}" for i in range(PARALLEL)} <= set(seen)
    assert max(seen.values()) == 1
    assert len(after["pickpack.events"]) == len(before["pickpack.events"]) + PARALLEL
    sent = Counter((e["orderNumber"], e["productId"]) for e in events)
    for (order_id, product_id), count in sent.items():
        def picked(data: dict[str, Any], order_id: str = order_id,
                   product_id: str = product_id) -> int:
            entries = data["pickpack.orders"][order_id]["entries"]
            return next(e["pickedCount"] for e in entries if e["productId"] == product_id)
        assert picked(after) - picked(before) == count, (order_id, product_id)


def test_puts_with_one_version_on_four_workers_have_one_winner(
    server: str, admin: httpx.Client
) -> None:
    before = collections(admin)
    assignment_id, stored = next(iter(before["cm.contactAssignments"].items()))
    version = stored["metadata"]["version"]
    bodies = [
        {"legalEntity": {"id": stored["legalEntity"]["id"]},
         "customer": {"id": stored["customer"]["id"]},
         "type": ["BILLING", "LOGISTICS", "CONTACT"][i % 3], "primary": i % 2 == 0,
         "metadata": {"version": version}}
        for i in range(PARALLEL)
    ]
    responses = fire(server, [("PUT", f"{CM}/{assignment_id}", {"json": b, "headers": ACME})
                               for b in bodies])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {204: 1, 409: PARALLEL - 1}, statuses
    winner = next(i for i, r in enumerate(responses) if r.status_code == 204)
    read = admin.get(f"{CM}/{assignment_id}", headers=ACME).json()
    assert read["metadata"]["version"] == version + 1
    assert (read["type"], read["primary"]) == (bodies[winner]["type"], bodies[winner]["primary"])


def test_creates_of_one_pair_on_four_workers_give_one_201(
    server: str, admin: httpx.Client
) -> None:
    before = collections(admin)
    taken = {(a["legalEntity"]["id"], a["customer"]["id"])
             for a in before["cm.contactAssignments"].values()}
    legal_entity, customer = next(
        (le, c) for le in sorted(before["cm.legalEntities"]) for c in sorted(before["cm.customers"])
        if (le, c) not in taken)
    body = {"legalEntity": {"id": legal_entity}, "customer": {"id": customer}, "type": "CONTACT"}
    responses = fire(server, [("POST", CM, {"json": body, "headers": ACME})] * PARALLEL)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}, statuses
    created = next(r for r in responses if r.status_code == 201).json()["id"]
    after = collections(admin)["cm.contactAssignments"]
    pair = [a["id"] for a in after.values()
            if (a["legalEntity"]["id"], a["customer"]["id"]) == (legal_entity, customer)]
    assert pair == [created]
    assert len(after) == len(before["cm.contactAssignments"]) + 1


def test_redis_killed_mid_traffic_leaves_no_half_written_change(tmp_path: Any) -> None:
    """Events on four workers while Redis is killed and restarted (durable, so it comes
    back with what it acknowledged): answers are 200 or the documented 500, every 200
    event is stored once, and every stored event moved its order entry exactly once."""
    redis = RedisServer(redis_binary(), directory=str(tmp_path), durable=True)
    redis.start()
    with ExitStack() as stack:
        stack.callback(redis.stop)
        servers = stack.enter_context(served("--workers", str(WORKERS), "--state-url", redis.url,
                                             "--state-prefix", "kill"))
        with httpx.Client(base_url=servers, timeout=TIMEOUT) as admin:
            before = collections(admin)
            order = next(o for o in before["pickpack.orders"].values()
                         if o.get("packingStatus") != "CANCELLED" and o.get("entries"))
            product = order["entries"][0]["productId"]

            def events(tag: str, count: int) -> list[tuple[str, str, dict[str, Any]]]:
                return [("POST", "/pick-pack/acme/events", {"headers": EVENT_HEADERS, "json": {
                    "eventId": f"{tag}-{i:04d}", "orderNumber": order["orderId"],
                    "productId": product, "unit": "H87", "timestamp": "2031-01-01T00:00:00.000Z",
                    "site": "main", "pickedAmount": 1, "packedAmount": 0}})
                    for i in range(count)]

            events_key = "kill:t:acme:c:pickpack.events"
            watcher = redis_client.Redis(port=redis.port)
            seeded_events = watcher.hlen(events_key)

            traffic_done = threading.Event()

            def kill_after_some_landed() -> None:
                """Kill Redis once 20 of the events are in (not on a clock)."""
                try:
                    while (not traffic_done.is_set()
                           and watcher.hlen(events_key) < seeded_events + 20):
                        pass
                finally:
                    watcher.close()
                    redis.stop()

            killer = threading.Thread(target=kill_after_some_landed)
            killer.start()
            try:
                mid = fire(servers, events("mid", PARALLEL))
            finally:
                traffic_done.set()
                killer.join()
            down = fire(servers, events("down", 8))  # surely while Redis is down
            redis.start()
            after_restart = fire(servers, events("after", 8))

            assert {r.status_code for r in mid} <= {200, 500}
            assert [r.status_code for r in down] == [500] * 8
            for answer in down:
                assert answer.json()["code"] == 500 and "Redis" in answer.json()["detailInfo"]
            assert [r.status_code for r in after_restart] == [200] * 8
            after = collections(admin)
            stored = Counter(e["eventId"] for e in after["pickpack.events"].values())
            assert max(stored.values()) == 1
            acknowledged = {f"mid-{i:04d}" for i, r in enumerate(mid) if r.status_code == 200}
            assert acknowledged <= set(stored)
            assert not {e for e in stored if e.startswith("down-")}
            landed = sum(1 for e in stored if e.startswith(("mid-", "after-")))

            def picked(data: dict[str, Any]) -> int:
                entries = data["pickpack.orders"][order["orderId"]]["entries"]
                return next(e["pickedCount"] for e in entries if e["productId"] == product)

            assert picked(after) - picked(before) == landed


def test_a_fault_with_times_fires_exactly_that_often_across_workers(
    server: str, admin: httpx.Client
) -> None:
    rule = admin.post("/__admin/faults", json={"operationId": "listEvents", "status": 500,
                                               "times": 25})
    assert rule.status_code == 201, rule.text
    responses = fire(server, [("GET", "/pick-pack/acme/events", {"headers": ACME})] * PARALLEL)

    assert Counter(r.status_code for r in responses) == {500: 25, 200: PARALLEL - 25}
    assert admin.get("/__admin/faults").json()["faults"] == []
    journal = admin.get("/__admin/requests", params={"operationId": "listEvents"}).json()
    assert journal["count"] == PARALLEL  # every worker wrote into the one journal
    assert Counter(e["fault"] for e in journal["requests"]) == {rule.json()["id"]: 25,
                                                                None: PARALLEL - 25}
    assert len({e["id"] for e in journal["requests"]}) == PARALLEL


def test_tokens_issued_by_any_worker_open_every_worker(server: str, admin: httpx.Client) -> None:
    form = {"grant_type": "client_credentials", "client_id": "acme-client",
            "client_secret": "acme-secret"}
    issued = fire(server, [("POST", "/oauth/token", {"data": form})] * 16)
    tokens = [r.json()["access_token"] for r in issued if r.status_code == 200]
    assert len(set(tokens)) == 16
    reads = fire(server, [("GET", "/pick-pack/acme/events",
                           {"headers": {"Authorization": f"Bearer {token}"}})
                          for token in tokens for _ in range(8)])
    assert Counter(r.status_code for r in reads) == {200: len(reads)}
