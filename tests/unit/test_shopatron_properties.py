"""Property test: any sequence of Assign Order requests keeps the order consistent.

Hypothesis drives random packages (assign, reassign, cancel, backorder, with
unknown ids and too-large quantities mixed in) at the fixture order and
checks the quantity bookkeeping after every request, and that a refused
request changes nothing.
"""

from __future__ import annotations

import copy
import functools
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.builtin import SPECS

from specdouble.data.seeders.shopatron import seed
from specdouble.data.seeding import SeedContext
from specdouble.domain import shopatron
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())["acme"]
NOW = datetime(2024, 6, 2, 10, 0, tzinfo=UTC)
# Mostly real ids, sometimes an unknown item (5), location (9999) or an inactive one (4040).
ITEMS = [98765, 123456, 6789012] * 3 + [5]
LOCATIONS = [1010, 2020, 3030] * 3 + [4040, 9999]


def items(cancel: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    entry: dict[str, Any] = {"orderItemID": st.sampled_from(ITEMS)}
    if cancel:
        entry["dispositionReason"] = st.sampled_from(shopatron.DISPOSITION_REASONS[:-1])
    optional = {"quantity": st.integers(1, 4)}
    return st.lists(st.fixed_dictionaries(entry, optional=optional), min_size=1, max_size=2)


def packages(shipment_ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    assign = st.fixed_dictionaries(
        {"itemAssign": items(False)},
        optional={
            "locationID": st.sampled_from(LOCATIONS),
            "shipmentStatus": st.sampled_from(["READY", "ASSIGNED"]),
            "shippingTaxAmount": st.floats(0, 100),
            "shipmentID": st.sampled_from(shipment_ids),
        },
    )
    cancel = st.fixed_dictionaries({"shipmentStatus": st.just("CANCELLED"),
                                    "itemAssign": items(True)})
    backorder = st.fixed_dictionaries({
        "shipmentStatus": st.just("BACKORDER"),
        "backOrderReleaseDate": st.just("2030-01-01T00:00:00Z"),
        "itemAssign": items(False),
    })
    return st.one_of(assign, cancel, backorder)


REQUESTS = st.lists(
    st.fixed_dictionaries({
        "rectifyOrder": st.booleans(),
        "sendEmails": st.booleans(),
        "packageAssignment": st.lists(packages([800001, 800002, 800003]), min_size=1,
                                      max_size=2),
    }),
    min_size=1, max_size=8,
)


def check_consistent(order: dict[str, Any]) -> None:
    active = [s for s in order["shipments"] if s["shipmentStatus"] in shopatron.ACTIVE_SHIPMENT]
    for shipment in order["shipments"]:
        if shipment["shipmentStatus"] == "CANCELLED":
            assert shipment["items"] == []
        else:
            assert shipment["items"] and all(i["quantity"] > 0 for i in shipment["items"])
    for item in order["items"]:
        held = sum(i["quantity"] for s in active for i in s["items"]
                   if i["orderItemID"] == item["orderItemID"])
        assert item["unassignedQuantity"] >= 0
        assert item["canceledQuantity"] + held + item["unassignedQuantity"] == item["quantity"]
        assert (item["itemState"] == "CANCELED") == (item["canceledQuantity"] == item["quantity"])
        assert sum(d["quantity"] for d in item["dispositions"]) == item["canceledQuantity"]
    all_canceled = all(i["itemState"] == "CANCELED" for i in order["items"])
    assert (order["orderStatus"] == "CANCELED") == all_canceled
    assert all(math.isfinite(order[k]) for k in ("subtotal", "totalTax", "total"))


@functools.cache
def seeded() -> Any:
    """The seeded tenant, generated once (each example starts from a copy)."""
    return seed(SeedContext(specs=SPECS, tenant="acme", seed=1, service="shopatron",
                            fixtures=FIXTURES))


# Sequences tried: bounded in the normal run; the ``_long`` twin (marked ``fuzz``, run with
# ``pytest -m fuzz``) tries many more.
SEQUENCES = settings(max_examples=50, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])


@SEQUENCES
@given(REQUESTS)
def test_any_request_sequence_keeps_the_order_consistent(requests: list[dict]) -> None:
    check_sequence(requests)


@pytest.mark.fuzz
@settings(SEQUENCES, max_examples=2000)
@given(REQUESTS)
def test_any_request_sequence_keeps_the_order_consistent_long(requests: list[dict]) -> None:
    check_sequence(requests)


def check_sequence(requests: list[dict]) -> None:
    store = MemoryStore()
    store.load_tenant("acme", copy.deepcopy(seeded()))
    for body in requests:
        before = store.export_tenant("acme")
        try:
            order = shopatron.assign_order(store, "acme", {"orderID": 6543210, **body}, now=NOW)
        except Problem as problem:
            assert problem.status == 400
            assert problem.error_code in (5011, 5013, 5015)
            assert problem.details
            assert store.export_tenant("acme") == before
            continue
        check_consistent(order)
        assert shopatron.get_order(store, "acme", 6543210) == order
