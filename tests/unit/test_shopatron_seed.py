"""Shopatron seed data and the page's examples as raw bytes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from tests.builtin import SPECS

from specdouble.data.seeders.shopatron import (
    GENERATED_ORDERS,
    ORDER_ID_RANGE,
    TAX_RATES,
    seed,
)
from specdouble.data.seeding import SeedContext
from specdouble.domain import shopatron
from specdouble.support.jsonparse import JSONError, parse_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "data" / "seeds" / "shopatron"
FIXTURES = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())


def seeded(tenant: str = "acme", number: int = 1) -> dict[str, Any]:
    return seed(SeedContext(specs=SPECS, tenant=tenant, seed=number, service="shopatron",
                            fixtures=FIXTURES[tenant]))


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    assert orjson.dumps(seeded(number=5)) == orjson.dumps(seeded(number=5))
    assert orjson.dumps(seeded(number=5)) != orjson.dumps(seeded(number=6))
    assert orjson.dumps(seeded("acme")) != orjson.dumps(seeded("globex"))


def test_fixture_records_are_present_with_the_example_items() -> None:
    data = seeded()
    orders = data[shopatron.ORDERS]
    assert len(orders) == 2 + GENERATED_ORDERS
    first = orders["6543210"]
    assert {i["orderItemID"]: i["quantity"] for i in first["items"]} == {
        123456: 1, 6789012: 1, 98765: 3}
    assert first["orderStatus"] == "NEW"
    assert first["shipments"] == []
    assert first["subtotal"] == round(89.99 + 14.5 + 57.0, 2)
    second = orders["123456"]
    assert {i["orderItemID"] for i in second["items"]} == {998887, 7776665}
    assert set(data[shopatron.LOCATIONS]) == {"1010", "2020", "3030", "4040"}
    assert data[shopatron.EMAILS] == {}
    assert "5550001" in seeded("globex")[shopatron.ORDERS]


def test_generated_orders_are_consistent() -> None:
    data = seeded(number=11)
    orders = list(data[shopatron.ORDERS].values())
    statuses = {o["orderStatus"] for o in orders}
    assert {"NEW", "CANCELED"} <= statuses
    assert statuses & {"ASSIGNED", "READY"}
    item_ids = [i["orderItemID"] for o in orders for i in o["items"]]
    assert len(item_ids) == len(set(item_ids))
    for order in orders:
        # Stored exactly as the domain would derive it, so responses never drift.
        assert shopatron.refresh_order(copy.deepcopy(order)) == order
        for shipment in order["shipments"]:
            assert shipment["shipmentID"] < shopatron.SHIPMENT_ID_FLOOR
            assert str(shipment["locationID"]) in data[shopatron.LOCATIONS]
        assert all(i["unassignedQuantity"] >= 0 for i in order["items"])


def test_seeded_data_is_json_compatible() -> None:
    data = seeded()
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    ("name", "line", "column"),
    [("assign", 10, 15), ("cancel", 2, 11), ("backorder", 11, 15)],
)
def test_verbatim_examples_fail_at_the_leading_zero(name: str, line: int, column: int) -> None:
    raw = (EXAMPLES / f"{name}.verbatim.json").read_bytes()
    with pytest.raises(JSONError) as caught:
        parse_json(raw)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert "leading zeros" in caught.value.message
    assert raw.decode().splitlines()[line - 1][column - 1] == "0"


@pytest.mark.parametrize("name", ["assign", "cancel", "backorder"])
def test_corrected_examples_differ_only_by_leading_zeros(name: str) -> None:
    verbatim = (EXAMPLES / f"{name}.verbatim.json").read_text(encoding="utf-8")
    corrected = (EXAMPLES / f"{name}.corrected.json").read_text(encoding="utf-8")
    assert parse_json(corrected.encode())["orderID"] in (6543210, 123456)
    changed = [(a, b) for a, b in zip(verbatim.splitlines(), corrected.splitlines(), strict=True)
               if a != b]
    assert changed
    for before, after in changed:
        assert before.replace(":0", ":", 1) == after


def _generated_orders(number: int) -> list[dict[str, Any]]:
    hand = {o["orderID"] for o in FIXTURES["acme"]["orders"]}
    return [o for o in seeded(number=number)[shopatron.ORDERS].values()
            if o["orderID"] not in hand]


@pytest.mark.parametrize("number", [1, 11])
def test_generated_orders_have_full_us_addresses_and_priced_items(number: int) -> None:
    orders = _generated_orders(number)
    assert len(orders) == GENERATED_ORDERS
    for order in orders:
        assert ORDER_ID_RANGE[0] <= order["orderID"] <= ORDER_ID_RANGE[1]
        address = order["shippingAddress"]
        assert address["country"] == "US"
        for key in ("firstName", "lastName", "address1", "city", "state", "zip", "phone",
                    "email"):
            assert isinstance(address[key], str) and address[key], key
        assert order["orderCurrency"] == "USD"
        for item in order["items"]:
            assert item["sku"] and item["name"] and item["unitPrice"] > 0
            assert item["itemTaxRate"] in TAX_RATES
            assert 1 <= item["quantity"] <= 5


def test_generated_cancellations_and_shipments_cover_whole_items() -> None:
    orders = _generated_orders(11)
    cancelled = [o for o in orders if o["orderStatus"] == "CANCELED"]
    assigned = [o for o in orders if o["shipments"]]
    assert cancelled and assigned
    for order in cancelled:
        for item in order["items"]:
            [disposition] = item["dispositions"]
            assert disposition["quantity"] == item["quantity"] == item["canceledQuantity"]
            assert disposition["dispositionReason"] != "other"
            assert "dispositionOtherReason" not in disposition
    for order in assigned:
        [shipment] = order["shipments"]
        assert {i["orderItemID"]: i["quantity"] for i in shipment["items"]} == {
            i["orderItemID"]: i["quantity"] for i in order["items"]}
