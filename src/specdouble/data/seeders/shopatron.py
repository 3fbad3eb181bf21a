"""Shopatron seed data: fixture locations and orders, plus generated orders around them.

Fixture records state only the essentials (ids, items, prices, address);
:func:`complete_order` fills the Get Order fields and the domain's
``refresh_order`` derives states and totals, so seeded and mutated orders
have exactly the same shape. Generated orders are made from the spec's
``Order``, ``OrderItem``, ``Address``, ``Shipment`` and ``Disposition``
schemas, with the seeder's values laid over what carries rules: ids,
quantities, tax rates, shipments and cancellations (consistent with the
items), and the derived fields left to ``refresh_order``. Everything comes
from the context's seeded sources and ``ctx.epoch``: same seed, same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from specdouble.data.seeding import SeedContext
from specdouble.domain import shopatron
from specdouble.state.base import Record, TenantData
from specdouble.support.clock import iso_millis

GENERATED_ORDERS = 24
# Generated ids stay clear of the fixtures' ranges and of new shipment ids
# (which start above shopatron.SHIPMENT_ID_FLOOR).
ORDER_ID_RANGE = (7_000_000, 7_999_999)
ITEM_ID_RANGE = (2_000_000, 2_999_999)
SEEDED_SHIPMENT_BASE = 100_000

PRODUCTS = (
    "Trail Runner Shoe", "Rain Jacket", "Merino Wool Socks", "Canvas Tote", "Knit Beanie",
    "Steel Water Bottle", "Hiking Backpack", "Fleece Vest", "Camp Mug", "Sun Hat",
)
DEFAULT_LOCATIONS = (
    {"locationID": 1010, "name": "Main Store", "active": True, "autoAssignRank": 1},
)


def seed(ctx: SeedContext) -> TenantData:
    """Locations and orders of one tenant; emails start empty."""
    locations = [dict(loc) for loc in ctx.fixtures.get("locations") or DEFAULT_LOCATIONS]
    orders = [complete_order(dict(raw)) for raw in ctx.fixtures.get("orders") or []]
    taken_orders = {o["orderID"] for o in orders}
    taken_items = {i["orderItemID"] for o in orders for i in o["items"]}
    active = [loc for loc in locations if loc.get("active", True)]
    for number in range(GENERATED_ORDERS):
        order = _fake_order(ctx, taken_orders, taken_items)
        _fake_progress(ctx, order, active, SEEDED_SHIPMENT_BASE + number)
        orders.append(complete_order(order))
    return {
        shopatron.LOCATIONS: {str(loc["locationID"]): loc for loc in locations},
        shopatron.ORDERS: {str(o["orderID"]): o for o in orders},
        shopatron.EMAILS: {},
    }


def complete_order(raw: dict[str, Any]) -> Record:
    """Fill the Get Order fields a fixture may leave out, then derive the rest."""
    order: Record = {
        "orderID": raw["orderID"],
        "orderType": "STANDARD",
        "isTestOrder": False,
        "deliveryMethod": "SHIP_TO_HOME",
        "orderCurrency": "USD",
        "singlePackageRequested": False,
        "estimatedShipping": 0.0,
        "shipments": [],
        **raw,
    }
    order.setdefault("lastModified", order["orderDate"])
    order["items"] = [_complete_item(item) for item in raw["items"]]
    return shopatron.refresh_order(order)


def _complete_item(raw: Mapping[str, Any]) -> Record:
    item: Record = {"canceledQuantity": 0, "dispositions": [], "itemTaxRate": 0.0, **raw}
    item["unitPrice"] = float(item["unitPrice"])
    item["itemTaxRate"] = float(item["itemTaxRate"])
    item.setdefault(
        "itemTaxAmount", round(item["unitPrice"] * item["quantity"] * item["itemTaxRate"], 2)
    )
    return item


def _unique(ctx: SeedContext, bounds: tuple[int, int], taken: set[int]) -> int:
    while True:
        value = ctx.rng.randint(*bounds)
        if value not in taken:
            taken.add(value)
            return value


# Derived by shopatron.refresh_order, so never generated.
_DERIVED_ORDER = ("orderState", "orderStatus", "customerSubtotal", "subtotal", "totalTax",
                  "customerTotalNet", "customerTotal", "total")
_DERIVED_ITEM = ("itemState", "shipmentID", "unassignedQuantity", "canceledQuantity",
                 "dispositions", "itemTaxAmount")
TAX_RATES = (0.0, 0.06, 0.0725, 0.0825)


def _fake_order(ctx: SeedContext, taken_orders: set[int], taken_items: set[int]) -> Record:
    rng = ctx.rng
    placed = iso_millis(ctx.epoch - timedelta(minutes=rng.randint(60, 60 * 24 * 30)))
    items = [
        ctx.record(
            "OrderItem",
            {"orderItemID": _unique(ctx, ITEM_ID_RANGE, taken_items),
             "quantity": rng.randint(1, 5), "itemTaxRate": rng.choice(TAX_RATES)},
            ensure=("sku", "name", "unitPrice"), omit=_DERIVED_ITEM,
        )
        for _ in range(rng.randint(1, 4))
    ]
    address = ctx.record(
        "Address", {"country": "US"}, hint="shippingAddress",
        ensure=("firstName", "lastName", "address1", "city", "state", "zip", "phone", "email"),
    )
    fields = {
        "orderID": _unique(ctx, ORDER_ID_RANGE, taken_orders),
        "orderDate": placed,
        "lastModified": placed,
        "isTestOrder": rng.random() < 0.1,
        "orderCurrency": "USD",
        "estimatedShipping": rng.choice((0.0, 4.95, 9.95, 14.95)),
        "shippingAddress": address,
        "items": items,
        "shipments": [],
    }
    return ctx.record("Order", fields, omit=_DERIVED_ORDER)


def _fake_progress(
    ctx: SeedContext, order: Record, locations: list[Record], shipment_id: int
) -> None:
    """Some generated orders are already assigned or cancelled, as in a live shop.

    An assigned order has one shipment holding every item's full quantity at
    an active location; a cancelled one has every item cancelled in full.
    """
    roll = ctx.rng.random()
    stamp = order["orderDate"]
    if roll < 0.3 and locations:
        location = ctx.rng.choice(locations)
        status = ctx.rng.choice((shopatron.ASSIGNED, shopatron.READY))
        order["shipments"] = [ctx.record("Shipment", {
            "shipmentID": shipment_id,
            "shipmentStatus": status,
            "shipmentStateName": shopatron.STATE_NAMES[status],
            "locationID": location["locationID"],
            "locationName": location.get("name"),
            "autoAssigned": True,
            "shippingAmount": order["estimatedShipping"],
            "shippingTaxAmount": 0.0,
            "shippingTaxRate": 0.0,
            "backOrderReleaseDate": None,
            "createdAt": stamp,
            "modifiedAt": stamp,
            "items": [{"orderItemID": i["orderItemID"], "quantity": i["quantity"]}
                      for i in order["items"]],
        })]
    elif roll < 0.4:
        reason = ctx.rng.choice(shopatron.DISPOSITION_REASONS[:-1])
        for item in order["items"]:
            item["canceledQuantity"] = item["quantity"]
            item["dispositions"] = [ctx.record(
                "Disposition",
                {"quantity": item["quantity"], "dispositionReason": reason, "canceledAt": stamp},
                omit=("dispositionOtherReason",),  # only with reason "other"
            )]
