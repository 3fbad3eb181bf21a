"""Fidelity to the vendors' published specs (issue 18): what a vendor accepts, the mock accepts.

Each test names the numbered item of the issue it pins down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from starlette.testclient import TestClient

from tests.conftest import ACME_ALL, SHOPATRON

SPECS = Path(__file__).parents[2] / "specs"
PP = "/pick-pack/acme"
CM = "/customer-management/acme/contact-assignments"
ASSIGN = "/api/v2/order/action/assign"
JSON_ALL = {**ACME_ALL, "Content-Type": "application/json"}
EVENT_HEADERS = {**JSON_ALL, "saas-token": "text"}
SHOP_JSON = {**SHOPATRON, "Content-Type": "application/json"}

LE_COMPANY = "123e06ecf0452c2d6c0b81390"
LE_PUT = "612306ecf0452c2d6c0b82222"
JANE = "612306ecf0452c2d6c0b81123"
MAX = "111106ecf0452c2d6c0b81123"


def post_raw(client: TestClient, path: str, body: bytes | str, headers: dict) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return client.post(path, content=content, headers=headers)


def event(event_id: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"eventId": event_id, "orderNumber": "123", "productId": "123",
                            "unit": "H87", "timestamp": "2024-07-01T10:00:00.000Z",
                            "site": "main"}
    body.update(extra)
    return body


# --- item 2: whole numbers written as 1.0 are integers ------------------------------------

def test_packed_amount_written_as_float_is_stored_and_answered_as_int(client: TestClient) -> None:
    text = json.dumps(event("whole-1")).rstrip("}") + ', "packedAmount": 1.0, "pickedAmount": 2.0}'
    r = post_raw(client, f"{PP}/events", text, EVENT_HEADERS)
    assert r.status_code == 200, r.text
    listed = client.get(f"{PP}/events", headers=ACME_ALL)
    stored = next(e for e in listed.json() if e["eventId"] == "whole-1")
    assert stored["packedAmount"] == 1 and stored["pickedAmount"] == 2
    assert b'"packedAmount":1,' in listed.content and b'"packedAmountInPc":1,' in listed.content


def test_fractional_amount_is_still_refused(client: TestClient) -> None:
    r = client.post(f"{PP}/events", json=event("half", packedAmount=1.5), headers=EVENT_HEADERS)
    assert r.status_code == 400
    assert "body.packedAmount" in r.json()["detailInfo"]


def test_version_written_as_float_locks_like_the_int(client: TestClient) -> None:
    body = {"legalEntity": {"id": LE_PUT}, "customer": {"id": MAX}, "type": "CONTACT"}
    assert client.put(f"{CM}/whole-version", json=body, headers=JSON_ALL).status_code == 201
    stale = client.put(f"{CM}/whole-version", json={**body, "metadata": {"version": 2.0}},
                       headers=JSON_ALL)
    assert stale.status_code == 409
    assert "is 2, the stored version is 1" in stale.json()["details"][0]
    ok = client.put(f"{CM}/whole-version", json={**body, "metadata": {"version": 1.0}},
                    headers=JSON_ALL)
    assert ok.status_code == 204, ok.text
    got = client.get(f"{CM}/whole-version", headers=ACME_ALL).content
    assert b'"version":2' in got and b'"version":2.0' not in got


def test_shopatron_ids_and_quantities_written_as_floats(client: TestClient) -> None:
    body = ('{"orderID": 6543210.0, "sendEmails": false, "rectifyOrder": false, '
            '"packageAssignment": [{"locationID": 1010.0, "shipmentStatus": "ASSIGNED", '
            '"itemAssign": [{"orderItemID": 123456.0, "quantity": 1.0}]}]}')
    r = post_raw(client, ASSIGN, body, SHOP_JSON)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["orderID"] == 6543210 and b'"orderID":6543210,' in r.content
    shipment = next(s for s in order["shipments"] if s["locationID"] == 1010)
    assert shipment["items"] == [{"orderItemID": 123456, "quantity": 1}]


# --- item 4: AUTOMATIC recalculation while a job runs ---------------------------------------

def test_automatic_recalculation_skips_orders_a_running_job_covers(shared_client) -> None:
    """The client named no order: nothing to refuse; the busy order stays due."""
    slow = shared_client(job_delay=600)
    assert slow.post(f"{PP}/events", json=event("busy-1"), headers=EVENT_HEADERS).status_code == 200
    first = slow.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"},
                      headers=ACME_ALL).json()["jobId"]
    running = slow.get(f"{PP}/jobs/recalculations/{first}", headers=ACME_ALL).json()
    assert "123" in [o["orderId"] for o in running["orders"]]
    assert slow.post(f"{PP}/events", json=event("busy-2"), headers=EVENT_HEADERS).status_code == 200
    r = slow.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"}, headers=ACME_ALL)
    assert r.status_code == 200, r.text
    second = slow.get(f"{PP}/jobs/recalculations/{r.json()['jobId']}", headers=ACME_ALL).json()
    assert second["orders"] == []
    manual = slow.post(f"{PP}/jobs/recalculations",
                       json={"jobType": "MANUAL", "orderIds": ["123"]}, headers=ACME_ALL)
    assert manual.status_code == 409
    assert (f"body.orderIds: order '123' is already being recalculated by job '{first}'"
            in manual.json()["detailInfo"])


# --- item 5: Shopatron totals of a fully cancelled order; backOrderReleaseDate as sent ----

def test_fully_cancelled_order_totals_no_shipping(client: TestClient) -> None:
    body = {"orderID": 123456, "sendEmails": False, "rectifyOrder": False,
            "packageAssignment": [{"shipmentStatus": "CANCELLED", "itemAssign": [
                {"orderItemID": 998887, "dispositionReason": "other",
                 "dispositionOtherReason": "test"},
                {"orderItemID": 7776665, "dispositionReason": "no_inventory"}]}]}
    r = client.post(ASSIGN, json=body, headers=SHOPATRON)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["orderStatus"] == "CANCELED"
    assert (order["estimatedShipping"], order["customerTotalNet"], order["total"],
            order["customerTotal"]) == (0.0, 0.0, 0.0, 0.0)


def test_back_order_release_date_comes_back_as_sent(client: TestClient) -> None:
    body = {"orderID": 6543210, "sendEmails": False, "rectifyOrder": False,
            "packageAssignment": [{"shipmentStatus": "BACKORDER",
                                   "backOrderReleaseDate": "2031-02-03T04:05:06.7+02:00",
                                   "itemAssign": [{"orderItemID": 98765, "quantity": 1}]}]}
    r = client.post(ASSIGN, json=body, headers=SHOPATRON)
    assert r.status_code == 200, r.text
    [back] = [s for s in r.json()["shipments"] if s["shipmentStatus"] == "BACKORDER"]
    assert back["backOrderReleaseDate"] == "2031-02-03T04:05:06.7+02:00"


# --- item 1: nothing stricter than the vendor's schema unless recorded ---------------------

def test_mixin_schema_values_may_be_any_json(client: TestClient) -> None:
    mixins = {"loyalty": {"url": "x"}, "flags": [1, 2], "plain": "https://example.com/s.json"}
    body = {"legalEntity": {"id": LE_COMPANY}, "customer": {"id": JANE},
            "metadata": {"mixins": mixins}}
    r = client.post(CM, json=body, headers=JSON_ALL)
    assert r.status_code == 201, r.text
    got = client.get(f"{CM}/{r.json()['id']}", headers=ACME_ALL).json()
    assert got["metadata"]["mixins"] == mixins


def test_empty_strings_the_vendor_allows_are_accepted(client: TestClient) -> None:
    r = client.post(f"{PP}/orders/123/assignees", headers=JSON_ALL,
                    json={"id": "", "siteCode": "", "firstName": "", "lastName": ""})
    assert r.status_code == 200, r.text
    r = client.post(f"{PP}/events", json=event("", unit="", site=""),
                    headers={**EVENT_HEADERS, "saas-token": ""})
    assert r.status_code == 200, r.text
    stored = [e for e in client.get(f"{PP}/events", headers=ACME_ALL).json()
              if e["eventId"] == ""]
    assert len(stored) == 1 and (stored[0]["unit"], stored[0]["site"]) == ("", "")
    r = client.post(f"{PP}/jobs/recalculations", headers=JSON_ALL,
                    json={"jobType": "MANUAL", "orderIds": [""]})
    assert r.status_code == 200, r.text
    job = client.get(f"{PP}/jobs/recalculations/{r.json()['jobId']}", headers=ACME_ALL).json()
    assert job["orders"] == [{"orderId": "", "message": "Order not found",
                              "jobOrderStatus": "FAILURE"}]


def test_empty_reference_ids_are_unknown_not_malformed(client: TestClient) -> None:
    r = client.post(CM, json={"legalEntity": {"id": ""}, "customer": {"id": JANE}},
                    headers=JSON_ALL)
    assert r.status_code == 404
    assert r.json()["message"] == "The legal entity with the requested code does not exist."


def test_paging_beyond_int32_is_an_empty_page(client: TestClient) -> None:
    big = 2**31
    r = client.get(CM, params={"pageSize": big}, headers=ACME_ALL)
    assert r.status_code == 200 and len(r.json()) >= 2
    r = client.get(CM, params={"pageNumber": big}, headers=ACME_ALL)
    assert r.status_code == 200 and r.json() == []
    r = client.get(f"{PP}/events", params={"pageNumber": big}, headers=ACME_ALL)
    assert r.status_code == 200 and r.json() == []


def test_any_routable_assignment_id_is_looked_up_but_put_needs_a_custom_id(
    client: TestClient,
) -> None:
    for method in ("GET", "DELETE"):
        r = client.request(method, f"{CM}/a.b", headers=ACME_ALL)
        assert r.status_code == 404, r.text
    body = {"legalEntity": {"id": LE_PUT}, "customer": {"id": MAX}, "type": "CONTACT"}
    r = client.put(f"{CM}/a.b", json=body, headers=JSON_ALL)
    assert r.status_code == 400
    assert r.json()["details"][0].startswith("path.contactAssignmentId: 'a.b' does not match")


def test_error_code_is_bounded_as_the_vendor_says() -> None:
    spec = yaml.safe_load(SPECS.joinpath("emporix-customer-management.yaml").read_text())
    code = spec["components"]["schemas"]["ErrorResponse"]["properties"]["code"]
    assert (code["minimum"], code["maximum"]) == (100, 599)


# --- item 3: the vendor's full contact-assignment model -------------------------------------

def test_generated_legal_entities_carry_the_full_model(client: TestClient) -> None:
    listed = client.get(CM, params={"pageSize": 500}, headers=ACME_ALL).json()
    members = [m for a in listed for m in a["legalEntity"].get("approvalGroup", [])
               if "legalEntity" in m]
    assert members, "no generated approval group"
    for member in members:
        assert set(member) >= {"id", "legalEntity", "customer", "type", "primary", "metadata"}
        assert member["legalEntity"].keys() == {"id"}
    assert any(a["legalEntity"].get("restrictions") for a in listed)


def test_state_import_checks_the_full_legal_entity_model(client: TestClient) -> None:
    state = client.get("/__admin/state/acme").json()
    entities = state["collections"]["cm.legalEntities"]
    entity = entities[LE_COMPANY]
    entity["restrictions"] = ["US"]
    entity["mixins"] = {"loyalty": {"tier": "gold"}}
    entity["customerGroups"][0]["role"] = "b2b.role"
    entity["entitiesAddresses"][0]["mixins"] = {"dock": {"gates": 3}}
    entity["approvalGroup"] = [{"id": "627e06ecf0452c2d6c0b81311",
                                "legalEntity": {"id": LE_COMPANY},
                                "customer": {"id": "627e06ecf0452c2d6c0b81391", "name": "John"},
                                "type": "PRIMARY", "primary": False,
                                "metadata": {"version": 2}}]
    assert client.put("/__admin/state/acme", json=state).status_code == 200
    got = client.get(f"{CM}/627e06ecf0452c2d6c0b81311", headers=ACME_ALL).json()["legalEntity"]
    assert got["restrictions"] == ["US"] and got["mixins"] == {"loyalty": {"tier": "gold"}}
    assert got["approvalGroup"][0]["legalEntity"] == {"id": LE_COMPANY}

    del entity["customerGroups"][0]["id"]
    entity["entitiesAddresses"][0]["type"] = "GARAGE"
    entity["accountLimit"] = {"currency": "EUR", "value": -1}
    entity["approvalGroup"][0]["type"] = "OWNER"
    r = client.put("/__admin/state/acme", json=state)
    assert r.status_code == 400
    where = f"collections.cm.legalEntities.{LE_COMPANY}"
    details = r.json()["details"]
    for field in ("customerGroups[0]: 'id' is a required", "entitiesAddresses[0].type",
                  "accountLimit.value",
                  "approvalGroup[0].type"):
        assert any(d.startswith(f"{where}.{field}") for d in details), (field, details)
