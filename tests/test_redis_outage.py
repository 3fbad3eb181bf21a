"""Redis killed mid-traffic under ``serve --workers 4``: documented 500s, then recovery.

The concurrency tests proper (no lost or doubled write, one locking winner,
fault ``times`` counted once, shared tokens and journal) run on four workers
too, in tests/test_concurrency.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import redis as redis_client

from tests.liveserver import TIMEOUT, collections, fire, served
from tests.redisserver import RedisServer, redis_binary

pytestmark = pytest.mark.live

ACME = {"Authorization": "Bearer acme-all"}
EVENT_HEADERS = {**ACME, "saas-token": "text"}
WORKERS = 4
PARALLEL = 160


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



def test_writes_acknowledged_after_an_empty_redis_returns_are_kept(tmp_path: Any) -> None:
    """Redis without persistence killed and started again (empty) under four workers:
    every request that finds the default tenant missing used to seed it again over
    writes already acknowledged. Each 200 after the restart must be found afterwards,
    and the loss is recorded once."""
    redis = RedisServer(redis_binary(), directory=str(tmp_path))  # no persistence
    redis.start()
    with ExitStack() as stack:
        stack.callback(redis.stop)
        servers = stack.enter_context(served("--workers", str(WORKERS), "--state-url", redis.url,
                                             "--state-prefix", "lost"))
        with httpx.Client(base_url=servers, timeout=TIMEOUT) as admin:
            order = next(o for o in collections(admin)["pickpack.orders"].values()
                         if o.get("packingStatus") != "CANCELLED" and o.get("entries"))

            def events(tag: str, count: int) -> list[tuple[str, str, dict[str, Any]]]:
                return [("POST", "/pick-pack/acme/events", {"headers": EVENT_HEADERS, "json": {
                    "eventId": f"{tag}-{i:04d}", "orderNumber": order["orderId"],
                    "productId": order["entries"][0]["productId"], "unit": "H87",
                    "timestamp": "2031-01-01T00:00:00.000Z", "site": "main",
                    "pickedAmount": 1, "packedAmount": 0}}) for i in range(count)]

            assert {r.status_code for r in fire(servers, events("before", 40))} == {200}
            redis.stop()  # SIGKILL: everything it held is gone
            redis.start()
            after = fire(servers, events("after", PARALLEL))
            acknowledged = {f"after-{i:04d}" for i, r in enumerate(after)
                            if r.status_code == 200}
            stored = {e["eventId"] for e in collections(admin)["pickpack.events"].values()}
            lost = sorted(acknowledged - stored)
            assert len(acknowledged) == PARALLEL and not lost, lost
            assert not {e for e in stored if e.startswith("before-")}  # Redis lost them
            health = admin.get("/__admin/health").json()
            (loss,) = health["worldLosses"]
            assert loss["restored"] == ["acme", "globex"] and loss["worldSeededAt"]
