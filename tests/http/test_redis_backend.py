"""The server on the Redis backend: same world as memory, shared between apps, outages."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from specdouble.cli import main
from specdouble.http.app import create_app
from specdouble.state.redis import RedisStore
from specdouble.state.redis_server_state import RedisServerState
from specdouble.support.settings import Settings
from specdouble.world import tenants
from specdouble.world.tenants import restart
from tests.conftest import ACME_ALL, CheckingClient
from tests.redisserver import (
    RedisServer,
    free_port,
    lose_connection_while_watching,
)

EVENT_HEADERS = {**ACME_ALL, "saas-token": "text"}


def event(event_id: str, order: str, product: str) -> dict[str, object]:
    return {"eventId": event_id, "orderNumber": order, "productId": product, "unit": "H87",
            "timestamp": "2031-01-01T00:00:00.000Z", "site": "main", "pickedAmount": 1,
            "packedAmount": 0}


def open_order(client: TestClient, tenant: str = "acme") -> tuple[str, str]:
    orders = client.get(f"/__admin/state/{tenant}").json()["collections"]["pickpack.orders"]
    order = next(o for o in orders.values()
                 if o.get("packingStatus") != "CANCELLED" and o.get("entries"))
    return order["orderId"], order["entries"][0]["productId"]


@pytest.fixture(scope="module")
def memory_app() -> AsyncApp:
    """The app on memory the Redis worlds are compared with (it only answers reads)."""
    return create_app(Settings())


@pytest.fixture
def clients(redis_server: RedisServer, memory_app: AsyncApp) -> Iterator[list[TestClient]]:
    """Two apps (two 'workers') on one Redis and prefix, plus one on memory."""
    settings = Settings(state_url=redis_server.url, state_prefix=f"http-{uuid.uuid4().hex[:8]}")
    restart(memory_app.runtime)  # type: ignore[attr-defined]
    opened = [CheckingClient(app) for app in
              (create_app(settings), create_app(settings), memory_app)]
    for client in opened:
        client.__enter__()
    yield opened
    for client in opened:
        client.__exit__(None, None, None)
    opened[0].app.runtime.store.flush()  # type: ignore[attr-defined]


def test_redis_starts_with_the_same_seeded_world_as_memory(clients: list[TestClient]) -> None:
    first, _, memory = clients
    for tenant in ("acme", "globex"):
        on_redis = first.get(f"/__admin/state/{tenant}").json()
        assert on_redis == memory.get(f"/__admin/state/{tenant}").json()
        assert on_redis["collections"]["pickpack.orders"]


def test_two_apps_on_one_redis_see_one_world(clients: list[TestClient]) -> None:
    first, second, memory = clients
    order, product = open_order(first)
    r = first.post("/pick-pack/acme/events", json=event("shared-1", order, product),
                   headers=EVENT_HEADERS)
    assert r.status_code == 200, r.text
    again = second.post("/pick-pack/acme/events", json=event("shared-1", order, product),
                        headers=EVENT_HEADERS)
    assert again.status_code == 409  # unique event ids hold across workers
    ids = [e["eventId"] for e in second.get("/pick-pack/acme/events", headers=ACME_ALL).json()]
    assert ids.count("shared-1") == 1
    assert "shared-1" not in [e["eventId"] for e in
                              memory.get("/pick-pack/acme/events", headers=ACME_ALL).json()]
    assert second.post("/__admin/reset").status_code == 200  # a reset reaches every worker
    assert "shared-1" not in [e["eventId"] for e in
                              first.get("/pick-pack/acme/events", headers=ACME_ALL).json()]


def test_a_token_issued_by_one_worker_is_accepted_by_the_other(
        clients: list[TestClient]) -> None:
    first, second, memory = clients
    issued = first.post("/oauth/token", data={"grant_type": "client_credentials",
                                              "client_id": "acme-client",
                                              "client_secret": "acme-secret"})
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert second.get("/pick-pack/acme/events", headers=bearer).status_code == 200
    assert memory.get("/pick-pack/acme/events", headers=bearer).status_code == 401


def test_a_fault_counts_its_times_down_once_across_workers(clients: list[TestClient]) -> None:
    first, second, _ = clients
    rule = first.post("/__admin/faults", json={"operationId": "listEvents", "status": 500,
                                               "times": 3}).json()
    answers = [client.get("/pick-pack/acme/events", headers=ACME_ALL).status_code
               for client in (second, first) * 3]
    assert answers == [500, 500, 500, 200, 200, 200]
    assert second.get("/__admin/faults").json()["faults"] == []
    journal = first.get("/__admin/requests", params={"operationId": "listEvents"}).json()
    assert [e["fault"] for e in journal["requests"]] == [None] * 3 + [rule["id"]] * 3


def test_one_journal_serves_every_worker(clients: list[TestClient]) -> None:
    first, second, _ = clients
    first.get("/pick-pack/acme/events", headers=ACME_ALL)
    second.get("/customer-management/acme/contact-assignments", headers=ACME_ALL)
    listed = first.get("/__admin/requests").json()["requests"]
    assert [e["operationId"] for e in listed] == ["listContactAssignments", "listEvents"]
    assert listed[0]["id"] == listed[1]["id"] + 1  # one id sequence, too
    assert second.delete("/__admin/requests").status_code == 204
    assert first.get("/__admin/requests").json()["requests"] == []


def test_a_tenant_created_on_one_worker_lives_on_every_worker(
        clients: list[TestClient]) -> None:
    first, second, _ = clients
    created = first.post("/__admin/tenants", json={"name": "qashared", "seed": 7})
    assert created.status_code == 201, created.text
    token = {"Authorization": f"Bearer {created.json()['tokens']['all']}"}
    assert second.get("/pick-pack/qashared/events", headers=token).status_code == 200
    assert second.post("/__admin/tenants", json={"name": "qashared"}).status_code == 409
    seeded = second.get("/__admin/state/qashared").json()
    order, product = open_order(first, "qashared")
    assert first.post("/pick-pack/qashared/events", json=event("gone", order, product),
                      headers={**token, "saas-token": "text"}).status_code == 200
    assert second.post("/__admin/reset", params={"tenant": "qashared"}).status_code == 200
    assert first.get("/__admin/state/qashared").json() == seeded  # reset to seed 7's data
    assert second.delete("/__admin/tenants/qashared").status_code == 204
    assert first.get("/pick-pack/qashared/events", headers=token).status_code == 401


def test_a_worker_that_starts_later_joins_the_world_as_it_is(
        clients: list[TestClient]) -> None:
    first, _, _ = clients
    order, product = open_order(first)
    assert first.post("/pick-pack/acme/events", json=event("before-join", order, product),
                      headers=EVENT_HEADERS).status_code == 200
    settings = first.app.runtime.settings  # type: ignore[attr-defined]
    with CheckingClient(create_app(settings)) as late:
        ids = [e["eventId"] for e in late.get("/pick-pack/acme/events", headers=ACME_ALL).json()]
    assert "before-join" in ids  # the late worker did not seed the world again


def test_joining_a_world_seeded_with_another_seed_says_so(
        clients: list[TestClient], caplog: pytest.LogCaptureFixture) -> None:
    first, _, _ = clients
    before = first.get("/__admin/state/acme").json()
    settings = dataclasses.replace(first.app.runtime.settings, seed=7)  # type: ignore[attr-defined]
    with caplog.at_level("WARNING", logger="specdouble"), \
            CheckingClient(create_app(settings)) as other:
        assert other.get("/__admin/state/acme").json() == before  # not seeded over
    assert "seeded with seed 20240601, this server runs with seed 7" in caplog.text


def test_a_seeder_that_died_is_taken_over(redis_server: RedisServer) -> None:
    """A first worker that took the seeding lease and died: the next one seeds once it lapses."""
    settings = Settings(state_url=redis_server.url, state_prefix=f"dead-{uuid.uuid4().hex[:8]}")
    store = RedisStore(settings.state_url or "", settings.state_prefix)
    try:
        assert RedisServerState(store).claim(tenants.SEEDING, 1)  # and never marks "seeded"
        with CheckingClient(create_app(settings)) as late:
            assert late.get("/__admin/health").json()["tenants"] == ["acme", "globex"]
            assert late.get("/pick-pack/acme/events", headers=ACME_ALL).json()
    finally:
        store.flush()
        store.close()


def test_a_lost_redis_answers_documented_500s_then_recovers(own_server: RedisServer) -> None:
    app = create_app(dataclasses.replace(Settings(), state_url=own_server.url,
                                         state_prefix="outage"))
    with CheckingClient(app) as client:  # checks every answer against its spec
        order, product = open_order(client)
        store = app.runtime.store  # type: ignore[attr-defined]
        store._client.save()
        own_server.stop()
        down = client.post("/pick-pack/acme/events", json=event("lost-1", order, product),
                           headers=EVENT_HEADERS)
        assert down.status_code == 500
        assert down.json()["code"] == 500 and "Redis" in down.json()["detailInfo"]
        listed = client.get("/customer-management/acme/contact-assignments", headers=ACME_ALL)
        assert listed.status_code == 500
        assert client.get("/specs/emporix-pick-pack.json").status_code == 200  # needs no Redis
        own_server.start()
        back = client.post("/pick-pack/acme/events", json=event("back-1", order, product),
                           headers=EVENT_HEADERS)
        assert back.status_code == 200, back.text
        ids = [e["eventId"] for e in client.get("/pick-pack/acme/events",
                                                headers=ACME_ALL).json()]
        assert "back-1" in ids and "lost-1" not in ids


def test_a_redis_that_lost_its_data_is_seeded_again(clients: list[TestClient]) -> None:
    first, second, memory = clients
    expected = memory.get("/__admin/state/acme").json()
    order, product = open_order(first)
    first.app.runtime.store.flush()  # type: ignore[attr-defined]  # as a restart without data
    listed = second.get("/pick-pack/acme/events", headers=ACME_ALL)
    assert listed.status_code == 200
    assert first.get("/__admin/state/acme").json() == expected
    r = first.post("/pick-pack/acme/events", json=event("after-loss", order, product),
                   headers=EVENT_HEADERS)
    assert r.status_code == 200, r.text


def test_a_lost_world_is_said_once_and_shown_in_health(
    clients: list[TestClient], caplog: pytest.LogCaptureFixture,
) -> None:
    first, second, _ = clients
    assert first.get("/__admin/health").json()["worldLosses"] == []
    first.app.runtime.store.flush()  # type: ignore[attr-defined]  # as a restart without data
    with caplog.at_level("WARNING", logger="specdouble"):
        assert second.get("/pick-pack/acme/events", headers=ACME_ALL).status_code == 200
        assert first.get("/pick-pack/globex/events",
                         headers={"Authorization": "Bearer globex-all"}).status_code == 200
        health = [c.get("/__admin/health").json() for c in (first, second)]
    warnings = [r.getMessage() for r in caplog.records if "lost the shared world" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "appendonly" in warnings[0]
    for seen in health:
        (loss,) = seen["worldLosses"]
        assert loss["restored"] == ["acme", "globex"]
        assert loss["worldSeededAt"] and loss["detectedAt"] >= loss["worldSeededAt"]


def test_restoring_a_tenant_never_overwrites_one_that_exists(clients: list[TestClient]) -> None:
    """A worker that found the tenant missing restores it after another worker did
    and acknowledged a write there: the write stays."""
    first, second, _ = clients
    order, product = open_order(first)
    first.app.runtime.store.flush()  # type: ignore[attr-defined]
    r = first.post("/pick-pack/acme/events", json=event("kept", order, product),
                   headers=EVENT_HEADERS)
    assert r.status_code == 200, r.text
    assert tenants.restore(second.app.runtime, "acme")  # type: ignore[attr-defined]
    ids = [e["eventId"] for e in second.get("/pick-pack/acme/events", headers=ACME_ALL).json()]
    assert "kept" in ids


def test_a_connection_that_keeps_breaking_is_the_documented_500_within_the_timeout(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not a raw WatchError, nor 60 replays: once --state-timeout has passed, the one
    documented Redis-unavailable body."""
    import redis

    settings = Settings(state_url=redis_server.url, state_prefix=f"cut-{uuid.uuid4().hex[:8]}",
                        state_timeout=0.05)
    with CheckingClient(create_app(settings)) as client:
        order, product = open_order(client)
        tries = []

        def broken(*args: object, **kwargs: object) -> None:
            tries.append(1)
            lose_connection_while_watching()

        monkeypatch.setattr(redis.client.Pipeline, "mget", broken)
        answer = client.post("/pick-pack/acme/events", json=event("cut", order, product),
                             headers=EVENT_HEADERS)
        monkeypatch.undo()
        assert answer.status_code == 500
        body = answer.json()
        assert body["code"] == 500 and "WatchError" not in answer.text
        assert "state store (Redis) is unreachable" in body["detailInfo"]
        assert 1 <= len(tries) < 60
        client.app.runtime.store.flush()  # type: ignore[attr-defined]


def test_an_unreachable_redis_stops_the_start_with_its_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert main(["serve", "--port", "0"], {"SPECDOUBLE_STATE_URL": url}) == 1
    err = capsys.readouterr().err
    assert err.startswith("specdouble: cannot start:") and url in err
