"""Shopatron Assign Order rules, at domain level (no HTTP)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.builtin import SPECS

from specdouble.data.seeders.shopatron import seed
from specdouble.data.seeding import SeedContext
from specdouble.domain import shopatron
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "data" / "seeds" / "shopatron"
NOW = datetime(2024, 6, 2, 10, 0, tzinfo=UTC)
STAMP = "2024-06-02T10:00:00.000Z"


@pytest.fixture
def store() -> MemoryStore:
    fixtures = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())
    result = MemoryStore()
    for tenant in ("acme", "globex"):
        ctx = SeedContext(specs=SPECS,
            tenant=tenant, seed=7, service="shopatron", fixtures=fixtures[tenant])
        result.load_tenant(tenant, seed(ctx))
    return result


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.corrected.json").read_text(encoding="utf-8"))


def assign(store: MemoryStore, packages: list[dict[str, Any]], *, order_id: int = 6543210,
           rectify: bool = False, emails: bool = False, tenant: str = "acme") -> dict[str, Any]:
    request = {"orderID": order_id, "sendEmails": emails, "rectifyOrder": rectify,
               "packageAssignment": packages}
    return shopatron.assign_order(store, tenant, request, now=NOW)


def fails(store: MemoryStore, packages: list[dict[str, Any]], **kwargs: Any) -> Problem:
    before = store.export_tenant("acme")
    with pytest.raises(Problem) as caught:
        assign(store, packages, **kwargs)
    assert store.export_tenant("acme") == before, "a rejected request must change nothing"
    return caught.value


def item(order: dict[str, Any], item_id: int) -> dict[str, Any]:
    return next(i for i in order["items"] if i["orderItemID"] == item_id)


def shipment(order: dict[str, Any], shipment_id: int) -> dict[str, Any]:
    return next(s for s in order["shipments"] if s["shipmentID"] == shipment_id)


def held(order: dict[str, Any]) -> dict[int, dict[int, int]]:
    """shipment id -> {item id: quantity}, for compact assertions."""
    return {s["shipmentID"]: {i["orderItemID"]: i["quantity"] for i in s["items"]}
            for s in order["shipments"]}


def emails(store: MemoryStore) -> list[dict[str, Any]]:
    return list(store.export_tenant("acme")[shopatron.EMAILS].values())


# --- the page's three examples, corrected ---------------------------------------------


def test_assign_example_auto_and_manual(store: MemoryStore) -> None:
    order = shopatron.assign_order(store, "acme", example("assign"), now=NOW)
    auto, manual = order["shipments"]
    assert (auto["locationID"], auto["autoAssigned"], auto["shipmentStatus"]) == (
        2020, True, "READY")
    assert (manual["locationID"], manual["autoAssigned"], manual["shipmentStatus"]) == (
        1010, False, "READY")
    assert manual["locationName"] == "Sacramento Store"
    assert held(order) == {auto["shipmentID"]: {123456: 1}, manual["shipmentID"]: {6789012: 1}}
    assert item(order, 123456)["shipmentID"] == auto["shipmentID"]
    assert item(order, 6789012)["shipmentID"] == manual["shipmentID"]
    # Item 98765 is still unassigned, so the order is only partly assigned.
    assert item(order, 98765)["unassignedQuantity"] == 3
    assert order["orderStatus"] == "PARTIALLY_ASSIGNED"
    assert order["lastModified"] == STAMP
    assert emails(store) == []  # sendEmails false
    assert shopatron.get_order(store, "acme", 6543210) == order


def test_cancel_example_cancels_everything_and_sends_email(store: MemoryStore) -> None:
    order = shopatron.assign_order(store, "acme", example("cancel"), now=NOW)
    first, second = item(order, 998887), item(order, 7776665)
    assert (first["itemState"], first["canceledQuantity"]) == ("CANCELED", 1)
    assert first["dispositions"] == [
        {"quantity": 1, "dispositionReason": "customer_changed_mind", "canceledAt": STAMP}]
    assert second["dispositions"][0]["dispositionReason"] == "created_by_mistake"
    assert (order["orderStatus"], order["orderState"]) == ("CANCELED", "CLOSED")
    assert order["subtotal"] == 0.0
    # Nothing is left to ship: the order's estimate of 5.0 no longer counts.
    assert order["total"] == order["customerTotalNet"] == order["estimatedShipping"] == 0.0
    [mail] = emails(store)
    assert mail["to"] == "john.smith@example.com"
    assert mail["template"] == "items_canceled"
    assert mail["items"] == [{"orderItemID": 998887, "quantity": 1},
                             {"orderItemID": 7776665, "quantity": 1}]
    assert (mail["orderID"], mail["sentAt"], mail["shipmentID"]) == (123456, STAMP, None)


def test_backorder_example(store: MemoryStore) -> None:
    order = shopatron.assign_order(store, "acme", example("backorder"), now=NOW)
    [back] = order["shipments"]
    assert back["shipmentStatus"] == "BACKORDER"
    assert back["shipmentStateName"] == "backorder"
    assert back["backOrderReleaseDate"] == "2016-12-30T00:00:00+00:00"  # as sent
    assert back["items"] == [{"orderItemID": 98765, "quantity": 3}]
    assert back["locationID"] is None
    assert order["orderStatus"] == "PARTIALLY_ASSIGNED"
    [mail] = emails(store)
    assert (mail["template"], mail["shipmentID"]) == ("items_backordered", back["shipmentID"])


def test_assign_reassign_cancel_the_rest_then_order_canceled(store: MemoryStore) -> None:
    order = shopatron.assign_order(store, "acme", example("assign"), now=NOW)
    auto = order["shipments"][0]["shipmentID"]
    # Reassign item 123456 from the automatic location to 3030.
    order = assign(store, [{"locationID": 3030, "shipmentStatus": "ASSIGNED",
                            "itemAssign": [{"orderItemID": 123456, "quantity": 1}]}])
    moved = order["shipments"][-1]
    assert shipment(order, auto)["shipmentStatus"] == "CANCELLED"
    assert (moved["locationID"], moved["items"]) == (3030, [{"orderItemID": 123456,
                                                             "quantity": 1}])
    assert item(order, 123456)["shipmentID"] == moved["shipmentID"]
    # Cancel everything still open: the assigned items and the unassigned bottles.
    order = assign(store, [{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 123456, "dispositionReason": "no_inventory"},
        {"orderItemID": 6789012, "quantity": 1, "dispositionReason": "not_web_sellable"},
        {"orderItemID": 98765, "quantity": 3, "dispositionReason": "other",
         "dispositionOtherReason": "Discontinued by the maker"},
    ]}])
    assert order["orderStatus"] == "CANCELED"
    assert {s["shipmentStatus"] for s in order["shipments"]} == {"CANCELLED"}
    assert all(i["itemState"] == "CANCELED" and i["shipmentID"] is None for i in order["items"])
    assert item(order, 98765)["dispositions"][0]["dispositionOtherReason"] == (
        "Discontinued by the maker")


# --- statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rectify", "asked", "expected"),
    [(False, None, "ASSIGNED"), (True, None, "READY"), (False, "READY", "READY"),
     (True, "ASSIGNED", "ASSIGNED")],
)
def test_shipment_status_from_request_or_rectify(
    store: MemoryStore, rectify: bool, asked: str | None, expected: str
) -> None:
    package: dict[str, Any] = {"locationID": 1010}
    if asked:
        package["shipmentStatus"] = asked
    order = assign(store, [package], rectify=rectify)
    [only] = order["shipments"]
    assert only["shipmentStatus"] == expected
    assert only["shipmentStateName"] == shopatron.STATE_NAMES[expected]
    assert order["orderStatus"] == expected  # every open item is in that shipment


def test_package_without_items_takes_every_unassigned_quantity(store: MemoryStore) -> None:
    assign(store, [{"locationID": 1010, "itemAssign": [{"orderItemID": 98765, "quantity": 2}]}])
    order = assign(store, [{"autoAssign": True, "shippingAmount": 4.5, "shippingTaxAmount": 0.3}])
    new = order["shipments"][-1]
    assert new["items"] == [{"orderItemID": 123456, "quantity": 1},
                            {"orderItemID": 6789012, "quantity": 1},
                            {"orderItemID": 98765, "quantity": 1}]
    assert (new["shippingAmount"], new["shippingTaxAmount"]) == (4.5, 0.3)
    assert order["orderStatus"] == "ASSIGNED"
    problem = fails(store, [{"autoAssign": True}])
    assert problem.error_code == 5015
    assert problem.details == [
        "body.packageAssignment[0]: nothing is left to assign in order 6543210"]


def test_totals_follow_open_quantities_and_shipping_tax(store: MemoryStore) -> None:
    before = shopatron.get_order(store, "acme", 6543210)
    assert before["subtotal"] == round(89.99 + 14.5 + 3 * 19.0, 2)
    order = assign(store, [
        {"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 98765, "quantity": 1, "dispositionReason": "no_inventory"}]},
        {"locationID": 1010, "shippingTaxAmount": 1.25,
         "itemAssign": [{"orderItemID": 123456, "itemTaxAmount": 7.0, "itemTaxRate": 0.08}]},
    ])
    assert order["subtotal"] == round(89.99 + 14.5 + 2 * 19.0, 2)
    assert item(order, 123456)["itemTaxAmount"] == 7.0
    assert item(order, 123456)["itemTaxRate"] == 0.08
    expected_tax = round(7.0 + 1.05 + 4.13 * 2 / 3 + 1.25, 2)
    assert order["totalTax"] == expected_tax
    assert order["total"] == round(order["subtotal"] + 9.95 + expected_tax, 2)


# --- locations ----------------------------------------------------------------------------


def test_automatic_location_is_lowest_rank_active(store: MemoryStore) -> None:
    with store.transaction("acme") as tx:
        reno = tx.get(shopatron.LOCATIONS, "2020")
        assert reno is not None
        tx.put(shopatron.LOCATIONS, "2020", {**reno, "active": False})
    order = assign(store, [{"autoAssign": True}])
    # 4040 has rank 0 but is inactive; 2020 now inactive too: 1010 (rank 2) wins.
    assert order["shipments"][0]["locationID"] == 1010


def test_no_active_location_for_automatic_assignment(store: MemoryStore) -> None:
    with store.transaction("acme") as tx:
        for key in tx.keys(shopatron.LOCATIONS):
            tx.put(shopatron.LOCATIONS, key, {**tx.get(shopatron.LOCATIONS, key),
                                              "active": False})
    problem = fails(store, [{"autoAssign": True}])
    assert (problem.status, problem.error_code) == (400, 5015)
    assert problem.details == [
        "body.packageAssignment[0].autoAssign: no active location can take the shipment"]


def test_inactive_location_is_invalid_data(store: MemoryStore) -> None:
    problem = fails(store, [{"locationID": 4040}])
    assert (problem.status, problem.error_code) == (400, 5015)
    assert problem.details == ["body.packageAssignment[0].locationID: location 4040 is not active"]


# --- reassigning ----------------------------------------------------------------------


def test_partial_reassign_moves_quantity_between_shipments(store: MemoryStore) -> None:
    first = assign(store, [{"locationID": 1010,
                            "itemAssign": [{"orderItemID": 98765, "quantity": 3}]}])
    s1 = first["shipments"][0]["shipmentID"]
    order = assign(store, [{"locationID": 3030,
                            "itemAssign": [{"orderItemID": 98765, "quantity": 1}]}])
    s2 = order["shipments"][1]["shipmentID"]
    assert held(order) == {s1: {98765: 2}, s2: {98765: 1}}
    assert item(order, 98765)["shipmentID"] == s2  # the newest shipment holding it
    assert item(order, 98765)["unassignedQuantity"] == 0


def test_existing_shipment_by_id_changes_location_and_quantity(store: MemoryStore) -> None:
    first = assign(store, [{"locationID": 1010,
                            "itemAssign": [{"orderItemID": 98765, "quantity": 3}]}])
    s1 = first["shipments"][0]["shipmentID"]
    order = assign(store, [{"shipmentID": s1, "locationID": 3030, "shipmentStatus": "READY",
                            "itemAssign": [{"orderItemID": 98765, "quantity": 2}]}])
    [only] = order["shipments"]
    assert (only["shipmentID"], only["locationID"], only["shipmentStatus"]) == (s1, 3030, "READY")
    assert only["items"] == [{"orderItemID": 98765, "quantity": 2}]
    assert item(order, 98765)["unassignedQuantity"] == 1  # the surplus is unassigned again


def test_existing_shipment_without_items_keeps_them(store: MemoryStore) -> None:
    first = assign(store, [{"locationID": 1010}])
    s1 = first["shipments"][0]["shipmentID"]
    order = assign(store, [{"shipmentID": s1, "shipmentStatus": "READY", "shippingAmount": 3}])
    assert order["shipments"][0]["items"] == first["shipments"][0]["items"]
    assert order["shipments"][0]["shippingAmount"] == 3.0
    assert order["orderStatus"] == "READY"


def test_assign_after_backorder_takes_items_out_of_backorder(store: MemoryStore) -> None:
    shopatron.assign_order(store, "acme", example("backorder"), now=NOW)
    order = assign(store, [{"locationID": 1010,
                            "itemAssign": [{"orderItemID": 98765, "quantity": 3}]}])
    back, assigned = order["shipments"]
    assert back["shipmentStatus"] == "CANCELLED"
    assert assigned["items"] == [{"orderItemID": 98765, "quantity": 3}]


def test_cancelled_shipment_cannot_be_reused(store: MemoryStore) -> None:
    first = assign(store, [{"locationID": 1010, "itemAssign": [{"orderItemID": 123456}]}])
    s1 = first["shipments"][0]["shipmentID"]
    assign(store, [{"locationID": 3030, "itemAssign": [{"orderItemID": 123456}]}])
    problem = fails(store, [{"shipmentID": s1, "itemAssign": [{"orderItemID": 123456}]}])
    assert problem.error_code == 5015
    assert problem.details == [f"body.packageAssignment[0].shipmentID: shipment {s1} is cancelled"]


def test_new_shipment_ids_are_unique_in_the_tenant(store: MemoryStore) -> None:
    a = assign(store, [{"locationID": 1010}])
    b = assign(store, [{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 998887, "dispositionReason": "no_inventory"}]}], order_id=123456)
    c = assign(store, [{"locationID": 1010}], order_id=123456)
    ids = [s["shipmentID"] for o in (a, b, c) for s in o["shipments"]]
    assert ids == [shopatron.SHIPMENT_ID_FLOOR + 1, shopatron.SHIPMENT_ID_FLOOR + 2]


# --- cancelling --------------------------------------------------------------------------


def test_cancel_takes_unassigned_quantity_before_shipments(store: MemoryStore) -> None:
    first = assign(store, [{"locationID": 1010,
                            "itemAssign": [{"orderItemID": 98765, "quantity": 2}]}])
    s1 = first["shipments"][0]["shipmentID"]

    def cancel_one() -> dict[str, Any]:
        return assign(store, [{"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 98765, "quantity": 1, "dispositionReason": "no_inventory"}]}])

    order = cancel_one()
    assert held(order) == {s1: {98765: 2}}
    assert item(order, 98765)["unassignedQuantity"] == 0
    order = cancel_one()
    assert held(order) == {s1: {98765: 1}}
    assert item(order, 98765)["canceledQuantity"] == 2
    assert item(order, 98765)["itemState"] == "NORMAL"
    order = cancel_one()
    assert shipment(order, s1)["shipmentStatus"] == "CANCELLED"
    assert item(order, 98765)["itemState"] == "CANCELED"
    assert order["orderStatus"] == "NEW"  # the other two items are open, never assigned


def test_partial_cancel_keeps_order_open(store: MemoryStore) -> None:
    order = assign(store, [{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 998887, "dispositionReason": "item_on_reserve"}]}], order_id=123456)
    assert order["orderStatus"] == "NEW"
    assert order["orderState"] == "OPEN"
    assert item(order, 7776665)["itemState"] == "NORMAL"


# --- OMS error codes ------------------------------------------------------------------


def test_unknown_order_is_404_5002(store: MemoryStore) -> None:
    problem = fails(store, [{"autoAssign": True}], order_id=999)
    assert (problem.status, problem.error_code) == (404, 5002)
    assert problem.details == ["body.orderID: no order 999"]
    with pytest.raises(Problem) as caught:
        shopatron.get_order(store, "acme", 999)
    assert caught.value.status == 404


def test_orders_are_per_tenant(store: MemoryStore) -> None:
    with pytest.raises(Problem) as caught:
        assign(store, [{"autoAssign": True}], tenant="globex")
    assert caught.value.status == 404
    order = assign(store, [{"autoAssign": True}], order_id=5550001, tenant="globex")
    assert order["shipments"][0]["locationID"] == 5050


def test_unknown_ids_are_400_5013_each_named(store: MemoryStore) -> None:
    problem = fails(store, [
        {"autoAssign": True, "itemAssign": [{"orderItemID": 123456},
                                            {"orderItemID": 555}]},
        {"locationID": 9999, "shipmentID": 42, "itemAssign": [{"orderItemID": 0}]},
    ])
    assert (problem.status, problem.error_code) == (400, 5013)
    assert problem.details == [
        "body.packageAssignment[0].itemAssign[1].orderItemID: order 6543210 has no item 555",
        "body.packageAssignment[1].shipmentID: order 6543210 has no shipment 42",
        "body.packageAssignment[1].locationID: no location 9999",
        "body.packageAssignment[1].itemAssign[0].orderItemID: order 6543210 has no item 0",
    ]


def test_quantity_above_open_is_400_5015(store: MemoryStore) -> None:
    problem = fails(store, [{"locationID": 1010, "itemAssign": [
        {"orderItemID": 123456, "quantity": 1}, {"orderItemID": 98765, "quantity": 4}]}])
    assert (problem.status, problem.error_code) == (400, 5015)
    assert problem.details == [
        "body.packageAssignment[0].itemAssign[1].quantity: 4 is more than the 3 still open "
        "for item 98765"]


def test_quantity_counts_what_is_already_cancelled(store: MemoryStore) -> None:
    assign(store, [{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 98765, "quantity": 2, "dispositionReason": "no_inventory"}]}])
    for package in (
        {"locationID": 1010, "itemAssign": [{"orderItemID": 98765, "quantity": 2}]},
        {"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 98765, "quantity": 2, "dispositionReason": "no_inventory"}]},
        {"shipmentStatus": "BACKORDER", "backOrderReleaseDate": "2030-01-01T00:00:00Z",
         "itemAssign": [{"orderItemID": 98765, "quantity": 2}]},
    ):
        problem = fails(store, [package])
        assert problem.error_code == 5015
        assert "2 is more than the 1 still open for item 98765" in problem.details[0]


def test_cancelling_a_fully_cancelled_item_is_5015(store: MemoryStore) -> None:
    cancel = [{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 998887, "dispositionReason": "no_inventory"}]}]
    assign(store, cancel, order_id=123456)
    problem = fails(store, cancel, order_id=123456)
    assert problem.error_code == 5015
    assert problem.details == ["body.packageAssignment[0].itemAssign[0].orderItemID: item "
                               "998887 is fully cancelled"]
    assign_it = [{"locationID": 1010, "itemAssign": [{"orderItemID": 7776665},
                                                     {"orderItemID": 998887}]}]
    problem = fails(store, assign_it, order_id=123456)
    assert problem.details == ["body.packageAssignment[0].itemAssign[1].orderItemID: item "
                               "998887 is fully cancelled"]


def test_all_packages_apply_together_or_not_at_all(store: MemoryStore) -> None:
    problem = fails(store, [
        {"locationID": 1010, "itemAssign": [{"orderItemID": 123456, "quantity": 1}]},
        {"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 6789012, "quantity": 1, "dispositionReason": "no_inventory"}]},
        {"locationID": 3030, "itemAssign": [{"orderItemID": 6789012, "quantity": 1}]},
    ], emails=True)
    assert problem.details == ["body.packageAssignment[2].itemAssign[0].orderItemID: item "
                               "6789012 is fully cancelled"]
    assert emails(store) == []


def test_packages_of_one_request_see_each_other(store: MemoryStore) -> None:
    order = assign(store, [
        {"locationID": 1010, "itemAssign": [{"orderItemID": 123456}]},
        {"locationID": 3030, "itemAssign": [{"orderItemID": 123456}]},
    ])
    first, second = order["shipments"]
    assert first["shipmentStatus"] == "CANCELLED"  # emptied by the second package
    assert second["items"] == [{"orderItemID": 123456, "quantity": 1}]


MISSING = 5011
INVALID = 5015


@pytest.mark.parametrize(
    ("package", "code", "details"),
    [
        ({"shipmentStatus": "READY"}, MISSING,
         ["body.packageAssignment[0]: an assign package needs at least one of autoAssign, "
          "locationID, shippingAmount, shippingTaxAmount, itemAssign"]),
        ({"shipmentStatus": "CANCELLED"}, MISSING,
         ["body.packageAssignment[0].itemAssign: is required when shipmentStatus is CANCELLED"]),
        ({"shipmentStatus": "CANCELLED", "itemAssign": [{"orderItemID": 123456}]}, MISSING,
         ["body.packageAssignment[0].itemAssign[0].dispositionReason: is required when "
          "shipmentStatus is CANCELLED"]),
        ({"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 123456, "dispositionReason": "other"}]}, MISSING,
         ["body.packageAssignment[0].itemAssign[0].dispositionOtherReason: is required when "
          "dispositionReason is 'other'"]),
        ({"shipmentStatus": "BACKORDER", "itemAssign": [{"orderItemID": 98765}]}, MISSING,
         ["body.packageAssignment[0].backOrderReleaseDate: is required when shipmentStatus "
          "is BACKORDER"]),
        ({"itemAssign": [{"quantity": 1}]}, MISSING,
         ["body.packageAssignment[0].itemAssign[0].orderItemID: is required"]),
        ({"autoAssign": True, "locationID": 1010}, INVALID,
         ["body.packageAssignment[0].locationID: cannot be combined with autoAssign true"]),
        ({"locationID": 1010, "backOrderReleaseDate": "2030-01-01T00:00:00Z"}, INVALID,
         ["body.packageAssignment[0].backOrderReleaseDate: only allowed when shipmentStatus "
          "is BACKORDER"]),
        ({"shipmentStatus": "BACKORDER", "backOrderReleaseDate": "soon"}, INVALID,
         ["body.packageAssignment[0].backOrderReleaseDate: 'soon' is not an RFC 3339 "
          "date-time"]),
        ({"shipmentStatus": "SHIPPED", "locationID": 1010}, INVALID,
         ["body.packageAssignment[0].shipmentStatus: 'SHIPPED' is not one of READY, ASSIGNED, "
          "CANCELLED, BACKORDER"]),
        ({"shipmentStatus": "CANCELLED", "locationID": 1010, "shippingAmount": 1,
          "itemAssign": [{"orderItemID": 123456, "dispositionReason": "no_inventory"}]}, INVALID,
         ["body.packageAssignment[0].locationID: not allowed when shipmentStatus is CANCELLED",
          "body.packageAssignment[0].shippingAmount: not allowed when shipmentStatus is "
          "CANCELLED"]),
        ({"locationID": 1010, "itemAssign": [
            {"orderItemID": 123456, "dispositionReason": "no_inventory"}]}, INVALID,
         ["body.packageAssignment[0].itemAssign[0].dispositionReason: only allowed when "
          "shipmentStatus is CANCELLED"]),
        ({"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 123456, "dispositionReason": "lost",
             "dispositionOtherReason": "x"}]}, INVALID,
         ["body.packageAssignment[0].itemAssign[0].dispositionReason: 'lost' is not one of "
          + ", ".join(shopatron.DISPOSITION_REASONS),
          "body.packageAssignment[0].itemAssign[0].dispositionOtherReason: only allowed when "
          "dispositionReason is 'other'"]),
        ({"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 123456, "dispositionReason": "other",
             "dispositionOtherReason": "x" * 256}]}, INVALID,
         ["body.packageAssignment[0].itemAssign[0].dispositionOtherReason: longer than 255 "
          "characters"]),
        ({"locationID": 1010, "itemAssign": [{"orderItemID": 98765}, {"orderItemID": 98765}]},
         INVALID,
         ["body.packageAssignment[0].itemAssign[1].orderItemID: item 98765 is listed twice in "
          "this package"]),
        ({"locationID": 1010, "itemAssign": [{"orderItemID": 98765, "quantity": 0}]}, INVALID,
         ["body.packageAssignment[0].itemAssign[0].quantity: must be at least 1"]),
    ],
)
def test_package_rules_name_each_field(
    store: MemoryStore, package: dict[str, Any], code: int, details: list[str]
) -> None:
    problem = fails(store, [package])
    assert (problem.status, problem.error_code) == (400, code)
    assert problem.details == details
    assert problem.message == ("Missing request data" if code == MISSING else
                               "Invalid request data")


def test_shape_is_checked_before_the_order_exists(store: MemoryStore) -> None:
    problem = fails(store, [{"shipmentStatus": "CANCELLED"}], order_id=999)
    assert (problem.status, problem.error_code) == (400, 5011)


def test_missing_and_invalid_together_report_both_as_missing_data(store: MemoryStore) -> None:
    problem = fails(store, [{"shipmentStatus": "BACKORDER"},
                            {"autoAssign": True, "locationID": 1010}])
    assert problem.error_code == 5011
    assert problem.details == [
        "body.packageAssignment[0].backOrderReleaseDate: is required when shipmentStatus is "
        "BACKORDER",
        "body.packageAssignment[1].locationID: cannot be combined with autoAssign true",
    ]


@pytest.mark.parametrize(
    ("request_body", "details"),
    [
        ({"sendEmails": False}, ["body.orderID: is required",
                                 "body.packageAssignment: is required"]),
        ({"orderID": 6543210, "packageAssignment": []},
         ["body.packageAssignment: needs at least one package"]),
    ],
)
def test_missing_request_data_5011(
    store: MemoryStore, request_body: dict[str, Any], details: list[str]
) -> None:
    with pytest.raises(Problem) as caught:
        shopatron.assign_order(store, "acme", request_body, now=NOW)
    assert (caught.value.error_code, caught.value.details) == (5011, details)


# --- emails -------------------------------------------------------------------------------


def test_send_emails_records_one_email_per_package(store: MemoryStore) -> None:
    order = assign(store, [
        {"locationID": 1010, "itemAssign": [{"orderItemID": 123456}]},
        {"shipmentStatus": "BACKORDER", "backOrderReleaseDate": "2024-07-01T00:00:00Z",
         "itemAssign": [{"orderItemID": 98765, "quantity": 2}]},
        {"shipmentStatus": "CANCELLED", "itemAssign": [
            {"orderItemID": 98765, "quantity": 1, "dispositionReason": "not_enough_quantity"}]},
    ], emails=True)
    first, second, third = emails(store)
    assert [m["template"] for m in (first, second, third)] == [
        "shipment_assigned", "items_backordered", "items_canceled"]
    assert [m["emailID"] for m in (first, second, third)] == ["email-1", "email-2", "email-3"]
    assert first["shipmentID"] == order["shipments"][0]["shipmentID"]
    assert first["subject"] == "Your order 6543210 is being prepared"
    assert second["items"] == [{"orderItemID": 98765, "quantity": 2}]
    assert {m["to"] for m in (first, second, third)} == {"jane.doe@example.com"}
    assign(store, [{"locationID": 3030, "itemAssign": [{"orderItemID": 6789012}]}], emails=True)
    assert emails(store)[-1]["emailID"] == "email-4"


def test_refresh_is_idempotent_on_results(store: MemoryStore) -> None:
    order = shopatron.assign_order(store, "acme", example("assign"), now=NOW)
    assert shopatron.refresh_order(copy.deepcopy(order)) == order


def test_email_ids_continue_after_the_highest_stored(store: MemoryStore) -> None:
    with store.transaction("acme") as tx:
        tx.put(shopatron.EMAILS, "email-7", {"emailID": "email-7"})
        tx.put(shopatron.EMAILS, "imported", {"emailID": "imported"})
    assign(store, [{"locationID": 1010}], emails=True)
    assert sorted(store.export_tenant("acme")[shopatron.EMAILS]) == [
        "email-7", "email-8", "imported"]
