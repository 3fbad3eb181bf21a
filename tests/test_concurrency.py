"""No lost updates under concurrency: hundreds of parallel requests on a real server.

Each test fires at least 200 requests at once (httpx.AsyncClient, bounded
connection pool, asyncio.gather) at a server on a free loopback port, then
checks the outcome through the public API and the admin API: every write
landed exactly once or was refused, and the journal holds exactly one entry per
request sent. Every test runs twice: on one process with the memory state
(uvicorn in a thread), and on ``specdouble serve --workers 4`` sharing a Redis,
where atomicity rests on Redis alone (WATCH/MULTI, replays, atomic counters).
Request counts and timeouts are fixed; the servers stop by themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from specdouble.support.settings import Settings
from tests.liveserver import (
    TIMEOUT,
    collections,
    distinct_packing_events,
    fire,
    live_server,
    served,
)
from tests.redisserver import RedisServer, redis_binary

# one process runs them all: the module-scoped server starts once (--dist loadgroup)
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("concurrency")]

ACME = {"Authorization": "Bearer acme-all"}
EVENT_HEADERS = {**ACME, "saas-token": "text"}
CM = "/customer-management/acme/contact-assignments"
PARALLEL = 240


WORKERS = 4


@pytest.fixture(scope="module", params=["memory", f"redis-{WORKERS}-workers"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of a server with room in its journal for every request sent."""
    if request.param == "memory":
        with live_server(Settings(journal_size=20_000)) as live:
            yield live.base_url
        return
    redis = RedisServer(redis_binary())
    redis.start()
    try:
        with served("--workers", str(WORKERS), "--state-url", redis.url,
                    "--journal-size", "20000") as base:
            yield base
    finally:
        redis.stop()


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=TIMEOUT) as client:
        assert client.post("/__admin/reset").status_code == 200
        assert client.delete("/__admin/requests").status_code == 204
        yield client


def journal(admin: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    response = admin.get("/__admin/requests", params={"limit": 100_000, **filters})
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def test_parallel_events_with_distinct_ids_all_land_exactly_once(
    server: str, admin: httpx.Client
) -> None:
    before = collections(admin)
    events = distinct_packing_events(before["pickpack.orders"], PARALLEL)
    responses = fire(server, [("POST", "/pick-pack/acme/events",
                             {"json": e, "headers": EVENT_HEADERS}) for e in events])

    assert [r.status_code for r in responses] == [200] * PARALLEL, {
        r.status_code: r.text for r in responses if r.status_code != 200}
    listed = admin.get("/pick-pack/acme/events", params={"pageSize": 20000}, headers=ACME)
    assert listed.status_code == 200
    seen = Counter(e["eventId"] for e in listed.json())
    assert {f"conc-{i:04d}" for i in range(PARALLEL)} <= set(seen)
    assert max(seen.values()) == 1
    # Every event's amount reached its order entry exactly once.
    after = collections(admin)
    sent = Counter((e["orderNumber"], e["productId"]) for e in events)
    for (order_id, product_id), count in sent.items():
        def picked(data: dict[str, Any], order_id: str = order_id,
                   product_id: str = product_id) -> int:
            entries = data["pickpack.orders"][order_id]["entries"]
            return next(e["pickedCount"] for e in entries if e["productId"] == product_id)
        assert picked(after) - picked(before) == count, (order_id, product_id)
    assert len(after["pickpack.events"]) == len(before["pickpack.events"]) + PARALLEL
    # The journal holds one entry per request, each with the status the client saw.
    entries = journal(admin, operationId="createEvent")
    assert len(entries) == PARALLEL
    assert Counter(e["status"] for e in entries) == {200: PARALLEL}
    assert len({e["id"] for e in entries}) == PARALLEL


def test_parallel_puts_with_the_same_version_have_exactly_one_winner(
    server: str, admin: httpx.Client
) -> None:
    before = collections(admin)
    assignment_id, stored = next(iter(before["cm.contactAssignments"].items()))
    version = stored["metadata"]["version"]
    kinds = ["BILLING", "LOGISTICS", "CONTACT", "PRIMARY"]
    bodies = [
        {"legalEntity": {"id": stored["legalEntity"]["id"]},
         "customer": {"id": stored["customer"]["id"]},
         "type": kinds[i % len(kinds)], "primary": i % 2 == 0,
         "metadata": {"version": version}}
        for i in range(PARALLEL)
    ]
    responses = fire(server, [("PUT", f"{CM}/{assignment_id}", {"json": b, "headers": ACME})
                            for b in bodies])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {204: 1, 409: PARALLEL - 1}, statuses
    winner = next(i for i, r in enumerate(responses) if r.status_code == 204)
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == 409 and body["status"] == "Conflict"
            assert body["details"] == [
                f"body.metadata.version: is {version}, the stored version is {version + 1}"]
    read = admin.get(f"{CM}/{assignment_id}", headers=ACME).json()
    assert read["metadata"]["version"] == version + 1
    assert (read["type"], read["primary"]) == (bodies[winner]["type"], bodies[winner]["primary"])
    entries = journal(admin, operationId="upsertContactAssignment")
    assert Counter(e["status"] for e in entries) == {204: 1, 409: PARALLEL - 1}


def _unassigned_pair(data: dict[str, dict[str, Any]]) -> tuple[str, str]:
    taken = {(a["legalEntity"]["id"], a["customer"]["id"])
             for a in data["cm.contactAssignments"].values()}
    for legal_entity in sorted(data["cm.legalEntities"]):
        for customer in sorted(data["cm.customers"]):
            if (legal_entity, customer) not in taken:
                return legal_entity, customer
    raise AssertionError("every customer is assigned to every legal entity")


def test_parallel_creates_of_one_pair_give_exactly_one_201(
    server: str, admin: httpx.Client
) -> None:
    before = collections(admin)
    legal_entity, customer = _unassigned_pair(before)
    body = {"legalEntity": {"id": legal_entity}, "customer": {"id": customer},
            "type": "CONTACT"}
    responses = fire(server, [("POST", CM, {"json": body, "headers": ACME})] * PARALLEL)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}, statuses
    created = next(r for r in responses if r.status_code == 201).json()["id"]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == 409
    after = collections(admin)["cm.contactAssignments"]
    pair = [a for a in after.values()
            if (a["legalEntity"]["id"], a["customer"]["id"]) == (legal_entity, customer)]
    assert [a["id"] for a in pair] == [created]
    assert len(after) == len(before["cm.contactAssignments"]) + 1
    entries = journal(admin, operationId="createContactAssignment")
    assert Counter(e["status"] for e in entries) == {201: 1, 409: PARALLEL - 1}


def test_mixed_traffic_on_two_tenants_is_journaled_once_each(
    server: str, admin: httpx.Client
) -> None:
    """Reads, writes and refusals interleaved on acme and globex: nothing lost or doubled."""
    before = {t: admin.get(f"/__admin/state/{t}").json()["collections"]
              for t in ("acme", "globex")}
    requests: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(PARALLEL // 4):
        for tenant, token in (("acme", "acme-all"), ("globex", "globex-all")):
            auth = {"Authorization": f"Bearer {token}"}
            order = next(o for o in before[tenant]["pickpack.orders"].values()
                         if o.get("packingStatus") != "CANCELLED" and o.get("entries"))
            requests.append(("POST", f"/pick-pack/{tenant}/events", {
                "json": {"eventId": f"mix-{i}", "orderNumber": order["orderId"],
                         "productId": order["entries"][0]["productId"], "unit": "H87",
                         "timestamp": "2031-02-01T00:00:00.000Z", "site": "main",
                         "pickedAmount": 1},
                "headers": {**auth, "saas-token": "text"}}))
            requests.append(("GET", f"/customer-management/{tenant}/contact-assignments",
                             {"params": {"pageSize": 5}, "headers": auth}))
    responses = fire(server, requests)

    assert Counter(r.status_code for r in responses) == {200: len(requests)}
    entries = journal(admin)
    assert len(entries) == len(requests)
    assert Counter((e["tenant"], e["operationId"]) for e in entries) == {
        (t, op): PARALLEL // 4 for t in ("acme", "globex")
        for op in ("createEvent", "listContactAssignments")}
    for tenant in ("acme", "globex"):
        events = admin.get(f"/__admin/state/{tenant}").json()["collections"]["pickpack.events"]
        mine = [k for k in events if k.startswith("mix-")]
        assert sorted(mine) == sorted(f"mix-{i}" for i in range(PARALLEL // 4))


def test_a_fault_with_times_fires_exactly_that_often(server: str, admin: httpx.Client) -> None:
    rule = admin.post("/__admin/faults", json={"operationId": "listEvents", "status": 500,
                                               "times": 25})
    assert rule.status_code == 201, rule.text
    responses = fire(server, [("GET", "/pick-pack/acme/events", {"headers": ACME})] * PARALLEL)

    assert Counter(r.status_code for r in responses) == {500: 25, 200: PARALLEL - 25}
    assert admin.get("/__admin/faults").json()["faults"] == []
    entries = journal(admin, operationId="listEvents")
    assert len(entries) == PARALLEL and len({e["id"] for e in entries}) == PARALLEL
    assert Counter(e["fault"] for e in entries) == {rule.json()["id"]: 25, None: PARALLEL - 25}
    admin.delete("/__admin/faults")


def test_tokens_issued_in_parallel_all_open_the_api(server: str, admin: httpx.Client) -> None:
    form = {"grant_type": "client_credentials", "client_id": "acme-client",
            "client_secret": "acme-secret"}
    issued = fire(server, [("POST", "/oauth/token", {"data": form})] * 16)
    tokens = [r.json()["access_token"] for r in issued if r.status_code == 200]
    assert len(set(tokens)) == 16
    reads = fire(server, [("GET", "/pick-pack/acme/events",
                           {"headers": {"Authorization": f"Bearer {token}"}})
                          for token in tokens for _ in range(8)])
    assert Counter(r.status_code for r in reads) == {200: len(reads)}
