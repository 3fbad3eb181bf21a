"""Shopatron Assign Order over HTTP: the page's examples, every rule, OMS errors, auth."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.support.clock import utc_now
from specdouble.world.runtime import Runtime
from tests.conftest import ACME_ALL, SHOPATRON, bearer

EXAMPLES = Path(__file__).parents[1] / "data" / "seeds" / "shopatron"
ASSIGN = "/api/v2/order/action/assign"
TOKEN = "/oauthserver/oauth2/token"
JSON_HEADERS = {**SHOPATRON, "Content-Type": "application/json"}
FORM = {"grant_type": "client_credentials"}


def raw(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def post(client: TestClient, body: Any, headers: dict[str, str] | None = None) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(ASSIGN, content=content, headers=headers or JSON_HEADERS)


def request(packages: list[dict[str, Any]], order_id: int = 6543210, **extra: Any) -> dict:
    return {"orderID": order_id, "sendEmails": False, "rectifyOrder": False,
            "packageAssignment": packages, **extra}


def assert_oms(response: Any, status: int, code: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["status"], body["code"], body["error"]) == (status, code, name)
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], list)
    return body


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def shipments(order: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(s["shipmentStatus"], s["locationID"],
             {i["orderItemID"]: i["quantity"] for i in s["items"]}) for s in order["shipments"]]


# --- the page's examples ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "column"),
    [("assign", 10, 15), ("cancel", 2, 11), ("backorder", 11, 15)],
)
def test_verbatim_example_is_400_at_the_leading_zero(
    client: TestClient, runtime: Runtime, name: str, line: int, column: int
) -> None:
    before = runtime.store.export_tenant("acme")
    body = assert_oms(post(client, raw(f"{name}.verbatim.json")), 400, 5003, "GENERIC_BAD_REQUEST")
    text = " ".join([body["message"], *body["details"]])
    assert f"line {line}, column {column}" in text
    assert "JSON numbers cannot have leading zeros" in text
    assert runtime.store.export_tenant("acme") == before


def test_corrected_assign_example(client: TestClient) -> None:
    response = post(client, raw("assign.corrected.json"))
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["orderID"] == 6543210
    assert shipments(order) == [("READY", 2020, {123456: 1}), ("READY", 1010, {6789012: 1})]
    assert [s["autoAssigned"] for s in order["shipments"]] == [True, False]
    assert order["orderStatus"] == "PARTIALLY_ASSIGNED"


def test_corrected_cancel_example(client: TestClient, runtime: Runtime) -> None:
    response = post(client, raw("cancel.corrected.json"))
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["orderStatus"] == "CANCELED"
    assert {i["orderItemID"]: (i["itemState"], i["dispositions"][0]["dispositionReason"])
            for i in order["items"]} == {998887: ("CANCELED", "customer_changed_mind"),
                                         7776665: ("CANCELED", "created_by_mistake")}
    [mail] = runtime.store.export_tenant("acme")["shopatron.emails"].values()
    assert (mail["orderID"], mail["template"]) == (123456, "items_canceled")


def test_corrected_backorder_example(client: TestClient) -> None:
    response = post(client, raw("backorder.corrected.json"))
    assert response.status_code == 200, response.text
    [shipment] = response.json()["shipments"]
    assert (shipment["shipmentStatus"], shipment["backOrderReleaseDate"]) == (
        "BACKORDER", "2016-12-30T00:00:00+00:00")
    assert shipment["items"] == [{"orderItemID": 98765, "quantity": 3}]


def test_assign_reassign_cancel_the_rest_order_canceled(client: TestClient) -> None:
    order = post(client, raw("assign.corrected.json")).json()
    first = order["shipments"][0]["shipmentID"]
    order = post(client, request([{"locationID": 3030, "itemAssign": [
        {"orderItemID": 123456, "quantity": 1}]}])).json()
    assert shipments(order)[0] == ("CANCELLED", 2020, {})
    assert shipments(order)[2] == ("ASSIGNED", 3030, {123456: 1})
    assert next(i for i in order["items"] if i["orderItemID"] == 123456)["shipmentID"] != first
    response = post(client, request([{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 123456, "dispositionReason": "no_inventory"},
        {"orderItemID": 6789012, "dispositionReason": "can_not_find_item"},
        {"orderItemID": 98765, "quantity": 3, "dispositionReason": "other",
         "dispositionOtherReason": "Sold out everywhere"}]}]))
    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["orderStatus"], order["orderState"]) == ("CANCELED", "CLOSED")
    assert {s["shipmentStatus"] for s in order["shipments"]} == {"CANCELLED"}


# --- rules and OMS codes --------------------------------------------------------------


def test_rectify_order_makes_shipments_ready(client: TestClient) -> None:
    plain = post(client, request([{"locationID": 1010, "itemAssign": [
        {"orderItemID": 123456}]}])).json()
    assert plain["shipments"][-1]["shipmentStatus"] == "ASSIGNED"
    rectified = post(client, request([{"locationID": 1010, "itemAssign": [
        {"orderItemID": 6789012}]}], rectifyOrder=True)).json()
    assert rectified["shipments"][-1]["shipmentStatus"] == "READY"


def test_unknown_order_is_404_5002(client: TestClient) -> None:
    body = assert_oms(post(client, request([{"autoAssign": True}], order_id=424242)),
                      404, 5002, "GENERIC_NOT_FOUND")
    assert body["details"] == ["body.orderID: no order 424242"]


def test_unknown_item_is_400_5013(client: TestClient) -> None:
    body = assert_oms(post(client, request([{"autoAssign": True, "itemAssign": [
        {"orderItemID": 123456}, {"orderItemID": 5}]}])), 400, 5013, "INVALID_ID")
    assert body["details"] == [
        "body.packageAssignment[0].itemAssign[1].orderItemID: order 6543210 has no item 5"]


def test_quantity_above_open_is_400_5015(client: TestClient) -> None:
    body = assert_oms(post(client, request([{"locationID": 1010, "itemAssign": [
        {"orderItemID": 98765, "quantity": 4}]}])), 400, 5015, "INVALID_REQUEST_DATA")
    assert body["details"] == ["body.packageAssignment[0].itemAssign[0].quantity: 4 is more "
                               "than the 3 still open for item 98765"]


def test_missing_rule_data_is_400_5011(client: TestClient) -> None:
    body = assert_oms(post(client, request([{"shipmentStatus": "BACKORDER",
                                             "itemAssign": [{"orderItemID": 98765}]}])),
                      400, 5011, "MISSING_REQUEST_DATA")
    assert body["details"] == ["body.packageAssignment[0].backOrderReleaseDate: is required "
                               "when shipmentStatus is BACKORDER"]


def test_other_reason_needs_its_text_5011(client: TestClient) -> None:
    body = assert_oms(post(client, request([{"shipmentStatus": "CANCELLED", "itemAssign": [
        {"orderItemID": 98765, "dispositionReason": "other"}]}])),
        400, 5011, "MISSING_REQUEST_DATA")
    assert body["details"] == ["body.packageAssignment[0].itemAssign[0].dispositionOtherReason: "
                               "is required when dispositionReason is 'other'"]


def test_schema_violations_name_each_field(client: TestClient) -> None:
    body = assert_oms(post(client, {"orderID": 0, "sendEmails": "yes", "rectifyOrder": True,
                                    "packageAssignment": [{"itemAssign": [
                                        {"orderItemID": 1, "quantity": "one",
                                         "dispositionReason": "bored"}]}]}),
                      400, 5003, "GENERIC_BAD_REQUEST")
    fields = {d.split(":")[0] for d in body["details"]}
    assert {"body.orderID", "body.sendEmails",
            "body.packageAssignment[0].itemAssign[0].quantity",
            "body.packageAssignment[0].itemAssign[0].dispositionReason"} <= fields


def test_failed_request_changes_nothing(client: TestClient, runtime: Runtime) -> None:
    before = runtime.store.export_tenant("acme")
    response = post(client, request([
        {"locationID": 1010, "itemAssign": [{"orderItemID": 123456}]},
        {"locationID": 3030, "itemAssign": [{"orderItemID": 98765, "quantity": 9}]},
    ], sendEmails=True))
    assert_oms(response, 400, 5015, "INVALID_REQUEST_DATA")
    assert runtime.store.export_tenant("acme") == before


def test_send_emails_are_in_the_exported_state(client: TestClient, runtime: Runtime) -> None:
    post(client, request([{"locationID": 1010}], sendEmails=True))
    emails = list(runtime.store.export_tenant("acme")["shopatron.emails"].values())
    assert [(m["template"], m["to"]) for m in emails] == [
        ("shipment_assigned", "jane.doe@example.com")]


# --- transport errors in the Shopatron shape ---------------------------------------------


def test_wrong_content_type_is_415(client: TestClient) -> None:
    response = client.post(ASSIGN, content=raw("assign.corrected.json"),
                           headers={**SHOPATRON, "Content-Type": "text/plain"})
    assert_oms(response, 415, 5003, "GENERIC_BAD_REQUEST")


def test_body_over_the_limit_is_413(make_client: Any) -> None:
    small = make_client(max_body=64)
    response = small.post(ASSIGN, content=raw("assign.corrected.json"), headers=JSON_HEADERS)
    assert_oms(response, 413, 5003, "GENERIC_BAD_REQUEST")


def test_wrong_method_is_405_5005(client: TestClient) -> None:
    body = assert_oms(client.get(ASSIGN, headers=SHOPATRON), 405, 5005, "GENERIC_NOT_ALLOWED")
    assert body["status"] == 405


# --- auth ------------------------------------------------------------------------------


def test_missing_bearer_is_401(client: TestClient) -> None:
    response = client.post(ASSIGN, content=raw("assign.corrected.json"),
                           headers={"Content-Type": "application/json"})
    assert_oms(response, 401, 5004, "GENERIC_NOT_AUTHORIZED")


@pytest.mark.parametrize("token", ["nope", "acme-all"])
def test_unknown_or_emporix_token_is_401(client: TestClient, token: str) -> None:
    response = post(client, raw("assign.corrected.json"),
                    {**bearer(token), "Content-Type": "application/json"})
    assert_oms(response, 401, 5004, "GENERIC_NOT_AUTHORIZED")


def test_token_endpoint_issues_a_working_token(client: TestClient) -> None:
    response = client.post(TOKEN, data=FORM, headers=basic("acme-api-key", "acme-api-secret"))
    assert response.status_code == 200, response.text
    token = response.json()
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)
    assert response.headers["cache-control"] == "no-store"
    headers = {**bearer(token["access_token"]), "Content-Type": "application/json",
               "API-Key": "acme-api-key"}
    assert post(client, raw("assign.corrected.json"), headers).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [basic("acme-api-key", "wrong"), basic("nobody", "acme-api-secret"), {},
     basic("acme-client", "acme-secret")],  # an Emporix client is not a Shopatron key
)
def test_token_endpoint_refuses_bad_credentials(client: TestClient, headers: dict) -> None:
    assert_oms(client.post(TOKEN, data=FORM, headers=headers), 401, 5004,
               "GENERIC_NOT_AUTHORIZED")


def test_token_endpoint_wants_client_credentials_form(client: TestClient) -> None:
    auth = basic("acme-api-key", "acme-api-secret")
    body = assert_oms(client.post(TOKEN, data={"grant_type": "password"}, headers=auth),
                      400, 5003, "GENERIC_BAD_REQUEST")
    assert any(d.startswith("body.grant_type") for d in body["details"])
    assert_oms(client.post(TOKEN, json=FORM, headers=auth), 415, 5003, "GENERIC_BAD_REQUEST")


def test_issued_token_expires_after_an_hour(client: TestClient, runtime: Runtime) -> None:
    auth = basic("acme-api-key", "acme-api-secret")
    token = client.post(TOKEN, data=FORM, headers=auth).json()["access_token"]
    headers = {**bearer(token), "Content-Type": "application/json"}
    later = utc_now() + timedelta(seconds=3601)
    runtime.tokens.clock = lambda: later
    body = assert_oms(post(client, raw("assign.corrected.json"), headers), 401, 5004,
                      "GENERIC_NOT_AUTHORIZED")
    assert "expired" in body["message"].lower()


def test_static_token_and_matching_api_key(client: TestClient) -> None:
    headers = {**JSON_HEADERS, "API-Key": "acme-api-key"}
    assert post(client, raw("backorder.corrected.json"), headers).status_code == 200


def test_api_key_of_another_client_is_403(client: TestClient, runtime: Runtime) -> None:
    before = runtime.store.export_tenant("acme")
    body = assert_oms(post(client, raw("assign.corrected.json"),
                           {**JSON_HEADERS, "API-Key": "globex-api-key"}),
                      403, 5004, "GENERIC_NOT_AUTHORIZED")
    assert any("API-Key" in d for d in body["details"])
    assert runtime.store.export_tenant("acme") == before


def test_token_works_on_its_own_tenant_only(client: TestClient) -> None:
    auth = basic("globex-api-key", "globex-api-secret")
    token = client.post(TOKEN, data=FORM, headers=auth).json()["access_token"]
    headers = {**bearer(token), "Content-Type": "application/json"}
    assert_oms(post(client, raw("assign.corrected.json"), headers), 404, 5002,
               "GENERIC_NOT_FOUND")
    response = post(client, request([{"autoAssign": True}], order_id=5550001), headers)
    assert response.status_code == 200, response.text
    assert response.json()["shipments"][0]["locationID"] == 5050


def test_emporix_paths_refuse_shopatron_tokens(client: TestClient) -> None:
    assert client.get("/pick-pack/acme/events", headers=SHOPATRON).status_code == 401
    assert client.get("/pick-pack/acme/events", headers=ACME_ALL).status_code == 200
