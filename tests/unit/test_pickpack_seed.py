"""Pick-pack seeding: deterministic, consistent, and the documented examples work on acme."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from prance import ResolvingParser
from tests.builtin import SPECS

from specdouble.data.seeders.pickpack import GENERATED_ORDERS, STATUS_COUNTS, seed
from specdouble.data.seeding import SeedContext
from specdouble.domain import pickpack as pp
from specdouble.state.base import TenantData
from specdouble.state.memory import MemoryStore
from specdouble.support.seeds import EPOCH

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "data" / "seeds"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "fixtures" / "pickpack.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    path = ROOT / "specs" / "emporix-pick-pack.yaml"
    return ResolvingParser(str(path), backend="openapi-spec-validator").specification


def _seed(fixtures: dict[str, Any], tenant: str = "acme", number: int = 7) -> TenantData:
    return seed(SeedContext(specs=SPECS, tenant=tenant, seed=number, service="pickpack",
                            fixtures=fixtures.get(tenant, {})))


def _store(fixtures: dict[str, Any], tenant: str = "acme") -> MemoryStore:
    store = MemoryStore()
    store.load_tenant(tenant, _seed(fixtures, tenant))
    return store


def _doc(name: str) -> Any:
    return json.loads((SEEDS / name).read_bytes())


# --- determinism ----------------------------------------------------------------------

def test_same_seed_gives_byte_identical_data(fixtures: dict[str, Any]) -> None:
    assert orjson.dumps(_seed(fixtures, number=3)) == orjson.dumps(_seed(fixtures, number=3))


def test_different_seed_or_tenant_gives_different_data(fixtures: dict[str, Any]) -> None:
    base = orjson.dumps(_seed(fixtures, number=3))
    assert orjson.dumps(_seed(fixtures, number=4)) != base
    assert orjson.dumps(_seed({"acme": fixtures["globex"]}, number=3)) != base


def test_seeding_does_not_depend_on_the_clock(fixtures: dict[str, Any]) -> None:
    events = _seed(fixtures)[pp.EVENTS].values()
    assert all(e["timestamp"] < EPOCH.strftime("%Y-%m-%dT%H:%M:%S") for e in events)


# --- shape and consistency ------------------------------------------------------------

def _generated(data: TenantData, fixtures: dict[str, Any], tenant: str) -> list[dict]:
    hand = {str(o["orderId"]) for o in fixtures[tenant]["orders"]}
    return [o for o in data[pp.ORDERS].values() if o["orderId"] not in hand]


@pytest.mark.parametrize("number", [1, 2, 3])
def test_generated_orders_have_every_status_and_1_to_5_entries(
    fixtures: dict[str, Any], number: int
) -> None:
    orders = _generated(_seed(fixtures, number=number), fixtures, "acme")
    assert len(orders) == GENERATED_ORDERS
    assert Counter(o["packingStatus"] for o in orders) == dict(STATUS_COUNTS)
    assert all(1 <= len(o["entries"]) <= 5 for o in orders)
    assert all(re.fullmatch(r"[A-Z0-9]{8}", o["orderId"]) for o in orders)


@pytest.mark.parametrize(("tenant", "number"), [("acme", 1), ("acme", 2), ("globex", 1)])
def test_event_amounts_add_up_to_entry_counts(
    fixtures: dict[str, Any], tenant: str, number: int
) -> None:
    data = _seed(fixtures, tenant, number)
    sums: Counter[tuple[str, str, str]] = Counter()
    for event in data[pp.EVENTS].values():
        for amount, count in (("pickedAmount", "pickedCount"), ("packedAmount", "packedCount"),
                              ("canceledAmount", "canceledCount")):
            sums[(event["orderNumber"], event["productId"], count)] += event[amount]
    for order in data[pp.ORDERS].values():
        for entry in order["entries"]:
            for count in ("pickedCount", "packedCount", "canceledCount"):
                assert sums[(order["orderId"], entry["productId"], count)] == entry[count], (
                    order["orderId"], entry["productId"], count)
            assert entry["packedAmountInPc"] == entry["packedCount"]


def test_packed_orders_are_packed_and_initial_orders_untouched(fixtures: dict[str, Any]) -> None:
    orders = _seed(fixtures)[pp.ORDERS].values()
    for order in orders:
        if order["packingStatus"] == "PACKED":
            assert pp.all_packed(order), order["orderId"]
        if order["packingStatus"] == "INITIAL":
            assert not order["recalculationDue"]
            assert all(e["pickedCount"] == e["packedCount"] == 0 for e in order["entries"])


def test_seeded_records_match_the_spec_schemas(
    fixtures: dict[str, Any], spec: dict[str, Any]
) -> None:
    schemas = spec["components"]["schemas"]
    for tenant in ("acme", "globex"):
        data = _seed(fixtures, tenant)
        for collection, schema in ((pp.EVENTS, "eventResponse"), (pp.JOBS, "job")):
            validator = OAS30Validator(schemas[schema], format_checker=oas30_format_checker)
            for record in data[collection].values():
                assert list(validator.iter_errors(record)) == [], record
        assignee = OAS30Validator(schemas["assignee"])
        for order in data[pp.ORDERS].values():
            assert order["packingStatus"] in pp.PACKING_STATUSES
            for person in order["assignees"]:
                assert list(assignee.iter_errors(person)) == []


def test_fixture_records_are_kept_and_ids_do_not_clash(fixtures: dict[str, Any]) -> None:
    data = _seed(fixtures)
    assert data[pp.JOBS]["123"] == _doc("pickpack_get_recalculation.response.json")
    assert data[pp.ORDERS]["CXL00001"]["packingStatus"] == "CANCELLED"
    hand_events = {e["eventId"] for e in fixtures["acme"]["events"]}
    assert hand_events <= set(data[pp.EVENTS])


def test_tenant_without_fixtures_gets_generated_data_only() -> None:
    data = seed(SeedContext(specs=SPECS, tenant="newco", seed=1, service="pickpack"))
    assert len(data[pp.ORDERS]) == GENERATED_ORDERS
    assert data[pp.JOBS] == {}
    assert {e["orderNumber"] for e in data[pp.EVENTS].values()} <= set(data[pp.ORDERS])


def test_tenants_get_their_own_hand_written_orders(fixtures: dict[str, Any]) -> None:
    acme, globex = _seed(fixtures, "acme")[pp.ORDERS], _seed(fixtures, "globex")[pp.ORDERS]
    assert "123" in acme and "123" not in globex
    assert "GLX0001" in globex and "GLX0001" not in acme
    assert not set(acme) & set(globex)


# --- the documented examples work verbatim against acme -------------------------------

def test_documented_assignee_examples_work(fixtures: dict[str, Any]) -> None:
    store = _store(fixtures)
    body = _doc("pickpack_add_assignee.request.json")
    assert pp.add_assignee(store, "acme", "123", body) == _doc(
        "pickpack_add_assignee.response.json")
    assert pp.add_assignee(store, "acme", "123", body, force=True) == {"message": "Success",
                                                                       "code": 200}
    pp.delete_assignee(store, "acme", "123", body["id"])
    assert store.export_tenant("acme")[pp.ORDERS]["123"]["assignees"] == []


def test_documented_event_examples_work(fixtures: dict[str, Any]) -> None:
    store = _store(fixtures)
    documented_item = _doc("pickpack_list_events.response.json")[0]
    listed = pp.list_events(store, "acme")
    assert {**documented_item, "eventId": "evt-0001"} in listed
    body = _doc("pickpack_create_event.request.json")
    assert pp.create_event(store, "acme", body, "1234", NOW) == _doc(
        "pickpack_create_event.response.json")
    created = store.export_tenant("acme")[pp.EVENTS][body["eventId"]]
    assert created == {**body, "packedAmountInPc": 1, "user": "1234"}
    after = datetime(2020, 9, 14, 13, 35, 18, tzinfo=UTC)
    assert [e["eventId"] for e in pp.list_events(store, "acme", after)][:2] == ["evt-0001", "123"]


def test_documented_recalculation_examples_work(fixtures: dict[str, Any]) -> None:
    store = _store(fixtures)
    body = _doc("pickpack_create_recalculation.request.json")
    created = pp.create_recalculation(store, "acme", body["jobType"], body["orderIds"], NOW)
    assert set(created) == set(_doc("pickpack_create_recalculation.response.json"))
    job = pp.get_recalculation(store, "acme", created["jobId"])
    assert [o["orderId"] for o in job["orders"]] == list(dict.fromkeys(body["orderIds"]))
    assert job["jobStatus"] == "SUCCESS"
    assert pp.get_recalculation(store, "acme", "123") == _doc(
        "pickpack_get_recalculation.response.json")


def test_spec_examples_are_the_documented_bodies(spec: dict[str, Any]) -> None:
    """The named `documented` examples in the spec equal the verbatim copies."""
    paths = spec["paths"]

    def example(path: str, method: str, status: str | None) -> Any:
        op = paths[path][method]
        media = (op["requestBody"] if status is None else op["responses"][status])["content"]
        return media["application/json"]["examples"]["documented"]["value"]

    base = "/pick-pack/{tenant}"
    cases = [
        (f"{base}/orders/{{orderId}}/assignees", "post", None, "pickpack_add_assignee.request"),
        (f"{base}/orders/{{orderId}}/assignees", "post", "200", "pickpack_add_assignee.response"),
        (f"{base}/events", "get", "200", "pickpack_list_events.response"),
        (f"{base}/events", "post", None, "pickpack_create_event.request"),
        (f"{base}/events", "post", "200", "pickpack_create_event.response"),
        (f"{base}/jobs/recalculations", "post", None, "pickpack_create_recalculation.request"),
        (f"{base}/jobs/recalculations", "post", "200", "pickpack_create_recalculation.response"),
        (f"{base}/jobs/recalculations/{{jobId}}", "get", "200",
         "pickpack_get_recalculation.response"),
    ]
    for path, method, status, name in cases:
        assert example(path, method, status) == _doc(f"{name}.json"), name


# --- generated by the schema generator, with the seeder's rules laid over -------------

@pytest.mark.parametrize("number", [1, 2])
def test_generated_events_of_an_order_share_user_cycle_and_supplier(
    fixtures: dict[str, Any], number: int
) -> None:
    data = _seed(fixtures, number=number)
    generated = {o["orderId"] for o in _generated(data, fixtures, "acme")}
    by_order: dict[str, list[dict]] = {}
    for event in data[pp.EVENTS].values():
        if event["orderNumber"] in generated:
            by_order.setdefault(event["orderNumber"], []).append(event)
    assert by_order
    cycles = set()
    for order_id, events in by_order.items():
        site = data[pp.ORDERS][order_id]["siteCode"]
        assert len({e["user"] for e in events}) == 1, order_id
        assert len({e.get("deliveryCycle") for e in events}) == 1, order_id
        cycle = events[0].get("deliveryCycle")
        cycles.add(cycle is None)
        if cycle is not None:
            assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d-\d\d-{site}", cycle), cycle
            assert cycle[:10] <= events[0]["timestamp"][:10]
        for product in {e["productId"] for e in events}:
            suppliers = {e.get("supplierId") for e in events if e["productId"] == product}
            assert len(suppliers) == 1, (order_id, product)
    assert cycles == {True, False}  # some orders have a delivery cycle, some not


def test_generated_entries_have_product_names(fixtures: dict[str, Any]) -> None:
    for order in _generated(_seed(fixtures), fixtures, "acme"):
        for entry in order["entries"]:
            assert isinstance(entry["productName"], str) and entry["productName"].strip()
            assert re.fullmatch(r"\d{6}", entry["productId"])
        assert all(re.fullmatch(r"\d+", a["id"]) for a in order["assignees"])
        assert all(a["siteCode"] == order["siteCode"] for a in order["assignees"])
