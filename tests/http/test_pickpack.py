"""Pick-pack over HTTP: documented examples verbatim, rules, error shapes, auth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ACME_ALL, ACME_VIEW, GLOBEX_ALL, bearer

SEEDS = Path(__file__).parents[1] / "data" / "seeds"
PP = "/pick-pack/acme"
EVENT_HEADERS = {**ACME_ALL, "saas-token": "text", "Content-Type": "application/json"}


def raw(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def documented(name: str) -> object:
    return json.loads(raw(name))


def event(event_id: str, order: str = "123", product: str = "123", **extra: object) -> dict:
    body = {"eventId": event_id, "orderNumber": order, "productId": product, "unit": "H87",
            "timestamp": "2024-07-01T10:00:00.000Z", "site": "main", "packedAmount": 1}
    body.update(extra)
    return body


# --- the documented examples, sent byte for byte ------------------------------------

def test_documented_add_assignee(client: TestClient) -> None:
    r = client.post(f"{PP}/orders/123/assignees", content=raw("pickpack_add_assignee.request.json"),
                    headers={**ACME_ALL, "Content-Type": "application/json"})
    assert r.status_code == 200
    assert r.json() == documented("pickpack_add_assignee.response.json")


def test_documented_delete_assignee(client: TestClient) -> None:
    client.post(f"{PP}/orders/123/assignees", content=raw("pickpack_add_assignee.request.json"),
                headers={**ACME_ALL, "Content-Type": "application/json"})
    r = client.delete(f"{PP}/orders/123/assignees/123", headers=ACME_ALL)
    assert r.status_code == 204
    assert r.content == b""


def test_documented_create_event_then_listed(client: TestClient) -> None:
    r = client.post(f"{PP}/events", content=raw("pickpack_create_event.request.json"),
                    headers=EVENT_HEADERS)
    assert r.status_code == 200
    assert r.json() == documented("pickpack_create_event.response.json")
    listed = client.get(f"{PP}/events", headers=ACME_ALL).json()
    sent = documented("pickpack_create_event.request.json")
    stored = [e for e in listed if e["eventId"] == sent["eventId"]]
    assert len(stored) == 1
    assert {k: stored[0][k] for k in sent} == sent
    assert stored[0]["packedAmountInPc"] == sent["packedAmount"]
    assert stored[0]["user"]


def test_documented_list_events_shape(client: TestClient) -> None:
    example = documented("pickpack_list_events.response.json")[0]
    listed = client.get(f"{PP}/events", headers=ACME_ALL).json()
    assert listed, "the seeded tenant has events"
    assert set(example) <= set(listed[0])


def test_documented_recalculation_and_job(client: TestClient) -> None:
    r = client.post(f"{PP}/jobs/recalculations",
                    content=raw("pickpack_create_recalculation.request.json"),
                    headers={**ACME_ALL, "Content-Type": "application/json"})
    assert r.status_code == 200
    job_id = r.json()["jobId"]
    job = client.get(f"{PP}/jobs/recalculations/{job_id}", headers=ACME_ALL).json()
    assert job["id"] == job_id and job["jobType"] == "MANUAL"
    ids = [o["orderId"] for o in job["orders"]]
    assert ids == ["03DV9N3R", "5XS34VOB", "JGPZWWLA", "09FFWHA2", "1B70WHY7"]
    assert {o["jobOrderStatus"] for o in job["orders"]} == {"SUCCESS"}
    assert job["jobStatus"] == "SUCCESS" and job["startedAt"] and job["finishedAt"]


def test_documented_get_job_example(client: TestClient) -> None:
    r = client.get(f"{PP}/jobs/recalculations/123", headers=ACME_ALL)
    assert r.status_code == 200
    assert r.json() == documented("pickpack_get_recalculation.response.json")


# --- assignees -------------------------------------------------------------------------

ASSIGNEE = {"id": "a-77", "siteCode": "main", "firstName": "Ada", "lastName": "Lovelace"}


def test_assignee_unknown_order_is_404(client: TestClient) -> None:
    r = client.post(f"{PP}/orders/nope-404/assignees", json=ASSIGNEE, headers=ACME_ALL)
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == 404 and body["message"] == "not_found" and "nope-404" in body[
        "detailInfo"]


def test_assignee_force_false_with_existing_is_400_and_unchanged(client: TestClient) -> None:
    client.post(f"{PP}/orders/123/assignees", json=ASSIGNEE, headers=ACME_ALL)
    other = {**ASSIGNEE, "id": "b-88"}
    r = client.post(f"{PP}/orders/123/assignees?force=false", json=other, headers=ACME_ALL)
    assert r.status_code == 400
    assert "query.force" in r.json()["detailInfo"]
    # force=true (the default) replaces
    assert client.post(f"{PP}/orders/123/assignees", json=other,
                       headers=ACME_ALL).status_code == 200


def test_cancelled_order_refuses_assignee_changes(client: TestClient, runtime) -> None:
    cancelled = _cancelled_order(runtime)
    r = client.post(f"{PP}/orders/{cancelled}/assignees", json=ASSIGNEE, headers=ACME_ALL)
    assert r.status_code == 409 and r.json()["message"] == "conflict"
    r = client.delete(f"{PP}/orders/{cancelled}/assignees/a-77", headers=ACME_ALL)
    assert r.status_code == 409


def test_delete_absent_assignee_is_204(client: TestClient) -> None:
    assert client.delete(f"{PP}/orders/123/assignees/zzz", headers=ACME_ALL).status_code == 204


def test_assignee_body_missing_fields_names_each(client: TestClient) -> None:
    r = client.post(f"{PP}/orders/123/assignees", json={"id": "x"}, headers=ACME_ALL)
    assert r.status_code == 400
    detail = r.json()["detailInfo"]
    for name in ("body.siteCode", "body.firstName", "body.lastName"):
        assert name in detail


# --- events ------------------------------------------------------------------------------

def test_repeated_event_id_is_409_and_counts_once(client: TestClient) -> None:
    before = _entry(client, "123", "123")
    assert client.post(f"{PP}/events", json=event("e-1"), headers=EVENT_HEADERS).status_code == 200
    r = client.post(f"{PP}/events", json=event("e-1"), headers=EVENT_HEADERS)
    assert r.status_code == 409 and r.json()["code"] == 409
    after = _entry(client, "123", "123")
    assert after["packedCount"] == before["packedCount"] + 1


def test_event_for_unknown_order_or_product_is_400_naming_field(client: TestClient) -> None:
    r = client.post(f"{PP}/events", json=event("e-2", order="no-such"), headers=EVENT_HEADERS)
    assert r.status_code == 400 and "body.orderNumber" in r.json()["detailInfo"]
    r = client.post(f"{PP}/events", json=event("e-3", product="no-such"), headers=EVENT_HEADERS)
    assert r.status_code == 400 and "body.productId" in r.json()["detailInfo"]
    ids = {e["eventId"] for e in client.get(f"{PP}/events", headers=ACME_ALL).json()}
    assert not {"e-2", "e-3"} & ids


def test_event_for_cancelled_order_is_409(client: TestClient, runtime) -> None:
    cancelled = _cancelled_order(runtime)
    order = _order(runtime, cancelled)
    product = order["entries"][0]["productId"]
    r = client.post(f"{PP}/events", json=event("e-4", order=cancelled, product=product),
                    headers=EVENT_HEADERS)
    assert r.status_code == 409


def test_event_needs_saas_token(client: TestClient) -> None:
    r = client.post(f"{PP}/events", json=event("e-5"), headers=ACME_ALL)
    assert r.status_code == 400 and "header.saas-token" in r.json()["detailInfo"]


def test_strict_saas_token(make_client) -> None:
    strict = make_client(strict_saas_token=True)
    r = strict.post(f"{PP}/events", json=event("e-6"), headers=EVENT_HEADERS)
    assert r.status_code == 400 and "header.saas-token" in r.json()["detailInfo"]
    jwt = _jwt({"sub": "C-42", "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp())})
    r = strict.post(f"{PP}/events", json=event("e-7"), headers={**EVENT_HEADERS,
                                                                "saas-token": jwt})
    assert r.status_code == 200
    listed = strict.get(f"{PP}/events", headers=ACME_ALL).json()
    assert next(e for e in listed if e["eventId"] == "e-7")["user"] == "C-42"
    expired = _jwt({"sub": "C-42", "exp": 1000})
    r = strict.post(f"{PP}/events", json=event("e-8"), headers={**EVENT_HEADERS,
                                                                "saas-token": expired})
    assert r.status_code == 400 and "expired" in r.json()["detailInfo"]


def test_events_after_timestamp_ordered_and_paged(client: TestClient) -> None:
    stamps = ["2030-01-01T00:00:03.000Z", "2030-01-01T00:00:01.000Z", "2030-01-01T00:00:02.000Z"]
    for i, stamp in enumerate(stamps):
        assert client.post(f"{PP}/events", json=event(f"t-{i}", timestamp=stamp),
                           headers=EVENT_HEADERS).status_code == 200
    r = client.get(f"{PP}/events", params={"timestamp": "2030-01-01T00:00:01Z"}, headers=ACME_ALL)
    assert [e["eventId"] for e in r.json()] == ["t-2", "t-0"]  # strictly after, by time
    page = client.get(f"{PP}/events", params={"timestamp": "2029-12-31T00:00:00Z",
                                              "pageSize": 2, "pageNumber": 1},
                      headers=ACME_ALL).json()
    assert [e["eventId"] for e in page] == ["t-0"]


def test_list_events_invalid_query_names_every_field(client: TestClient) -> None:
    r = client.get(f"{PP}/events", params={"pageSize": "abc", "pageNumber": "-1"},
                   headers=ACME_ALL)
    assert r.status_code == 400
    detail = r.json()["detailInfo"]
    assert "query.pageSize" in detail and "query.pageNumber" in detail


# --- recalculations ---------------------------------------------------------------------

def test_manual_recalculation_unknown_and_cancelled_fail(client: TestClient, runtime) -> None:
    cancelled = _cancelled_order(runtime)
    r = client.post(f"{PP}/jobs/recalculations",
                    json={"jobType": "MANUAL", "orderIds": ["123", "ghost", cancelled, "123"]},
                    headers=ACME_ALL)
    job = client.get(f"{PP}/jobs/recalculations/{r.json()['jobId']}", headers=ACME_ALL).json()
    statuses = {o["orderId"]: o["jobOrderStatus"] for o in job["orders"]}
    assert statuses == {"123": "SUCCESS", "ghost": "FAILURE", cancelled: "FAILURE"}
    assert all(o["message"] for o in job["orders"])


def test_automatic_recalculation_picks_orders_with_new_events(client: TestClient) -> None:
    client.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"}, headers=ACME_ALL)
    client.post(f"{PP}/events", json=event("auto-1"), headers=EVENT_HEADERS)
    r = client.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"}, headers=ACME_ALL)
    job = client.get(f"{PP}/jobs/recalculations/{r.json()['jobId']}", headers=ACME_ALL).json()
    assert [o["orderId"] for o in job["orders"]] == ["123"]
    again = client.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"},
                        headers=ACME_ALL).json()["jobId"]
    job = client.get(f"{PP}/jobs/recalculations/{again}", headers=ACME_ALL).json()
    assert job["orders"] == []


def test_unknown_job_is_404_and_bad_job_type_400(client: TestClient) -> None:
    r = client.get(f"{PP}/jobs/recalculations/nojob", headers=ACME_ALL)
    assert r.status_code == 404 and r.json()["message"] == "not_found"
    r = client.post(f"{PP}/jobs/recalculations", json={"jobType": "SOMETIMES"}, headers=ACME_ALL)
    assert r.status_code == 400 and "body.jobType" in r.json()["detailInfo"]


def test_job_delay_keeps_job_in_progress(shared_client) -> None:
    slow = shared_client(job_delay=600)
    job_id = slow.post(f"{PP}/jobs/recalculations", json={"jobType": "MANUAL",
                                                           "orderIds": ["123"]},
                       headers=ACME_ALL).json()["jobId"]
    first = slow.get(f"{PP}/jobs/recalculations/{job_id}", headers=ACME_ALL).json()
    assert first["jobStatus"] == "IN_PROGRESS" and "finishedAt" not in first
    assert first["orders"][0]["jobOrderStatus"] == "PENDING"


def test_delayed_job_finishes_by_itself(make_client) -> None:
    import time

    quick = make_client(job_delay=0.05)
    job_id = quick.post(f"{PP}/jobs/recalculations", json={"jobType": "MANUAL",
                                                            "orderIds": ["123"]},
                        headers=ACME_ALL).json()["jobId"]
    for _ in range(200):  # polls for at most ~10 s; no timing is asserted
        job = quick.get(f"{PP}/jobs/recalculations/{job_id}", headers=ACME_ALL).json()
        if job["jobStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.05)
    assert job["jobStatus"] == "SUCCESS" and job["finishedAt"]


# --- auth and error shapes -----------------------------------------------------------------

FAULT_INVALID = {"fault": {"faultstring": "Invalid access token",
                           "detail": {"errorcode": "oauth.v2.InvalidAccessToken"}}}


@pytest.mark.parametrize("headers", [{}, bearer("nope"), {"Authorization": "Basic abc"}])
def test_missing_or_unknown_token_is_fault(client: TestClient, headers: dict) -> None:
    r = client.get(f"{PP}/events", headers=headers)
    assert r.status_code == 401 and r.json() == FAULT_INVALID


def test_expired_token_fault(client: TestClient, runtime) -> None:
    token = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                              "client_id": "acme-client",
                                              "client_secret": "acme-secret"}).json()
    assert client.get(f"{PP}/events", headers=bearer(token["access_token"])).status_code == 200
    later = datetime.now(UTC) + timedelta(seconds=token["expires_in"] + 1)
    runtime.tokens.clock = lambda: later
    r = client.get(f"{PP}/events", headers=bearer(token["access_token"]))
    assert r.status_code == 401
    assert r.json() == {"fault": {"faultstring": "Access Token expired", "detail": {
        "errorcode": "keymanagement.service.access_token_expired"}}}


def test_missing_scope_names_scope(client: TestClient) -> None:
    r = client.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"}, headers=ACME_VIEW)
    assert r.status_code == 403
    assert r.json() == {"code": 403, "status": "Forbidden", "message": "Scope validation failed",
                        "details": ["Missing required scopes '[pickpack.pickpack_manage]'"]}
    assert client.get(f"{PP}/events", headers=ACME_VIEW).status_code == 200


def test_other_tenant_token_is_403(client: TestClient) -> None:
    r = client.get(f"{PP}/events", headers=GLOBEX_ALL)
    assert r.status_code == 403 and r.json()["code"] == 403
    assert "acme" in r.json()["details"][0]


def test_tenants_are_isolated(client: TestClient) -> None:
    client.post(f"{PP}/events", json=event("iso-1"), headers=EVENT_HEADERS)
    globex = client.get("/pick-pack/globex/events", headers=GLOBEX_ALL).json()
    assert "iso-1" not in {e["eventId"] for e in globex}


def test_malformed_json_names_line_and_column(client: TestClient) -> None:
    r = client.post(f"{PP}/jobs/recalculations", content=b'{\n  "jobType": MANUAL\n}',
                    headers={**ACME_ALL, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "line 2, column 14" in r.json()["detailInfo"]


def test_wrong_content_type_is_415(client: TestClient) -> None:
    r = client.post(f"{PP}/jobs/recalculations", content=b"jobType=MANUAL",
                    headers={**ACME_ALL, "Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["message"] == "unsupported_media_type"


def test_body_over_limit_is_413(make_client) -> None:
    small = make_client(max_body=100)
    r = small.post(f"{PP}/jobs/recalculations", json={"jobType": "MANUAL",
                                                       "orderIds": ["x" * 50, "y" * 50]},
                   headers=ACME_ALL)
    assert r.status_code == 413 and r.json()["code"] == 413


def test_unknown_path_and_wrong_method_are_json(client: TestClient) -> None:
    r = client.get("/pick-pack/acme/nothing", headers=ACME_ALL)
    assert r.status_code == 404 and r.json()["code"] == 404
    r = client.put(f"{PP}/events", headers=ACME_ALL)
    assert r.status_code == 405 and r.json()["message"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]
    r = client.get("/elsewhere")
    assert r.status_code == 404 and r.json()["status"] == "Not Found"


def test_unexpected_exception_is_documented_500(client: TestClient, monkeypatch) -> None:
    from specdouble.domain import pickpack

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(pickpack, "list_events", boom)
    r = client.get(f"{PP}/events", headers=ACME_ALL)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["code"] == 500 and r.json()["message"] == "internal_error"


def test_cors_allows_any_origin_by_default(client: TestClient) -> None:
    r = client.options(f"{PP}/events", headers={"Origin": "http://localhost:3000",
                                                "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"


def test_cors_origin_configurable(make_client) -> None:
    c = make_client(cors_origins=("http://app.test",))
    r = c.get(f"{PP}/events", headers={**ACME_ALL, "Origin": "http://app.test"})
    assert r.headers["access-control-allow-origin"] == "http://app.test"
    r = c.get(f"{PP}/events", headers={**ACME_ALL, "Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in r.headers


# --- seeding -------------------------------------------------------------------------------

def test_same_seed_same_data_different_seed_different(make_client) -> None:
    a = make_client(seed=7).get(f"{PP}/events", headers=ACME_ALL).content
    b = make_client(seed=7).get(f"{PP}/events", headers=ACME_ALL).content
    c = make_client(seed=8).get(f"{PP}/events", headers=ACME_ALL).content
    assert a == b and a != c


# --- helpers --------------------------------------------------------------------------------

def _orders(runtime) -> dict:
    return runtime.store.export_tenant("acme")["pickpack.orders"]


def _order(runtime, order_id: str) -> dict:
    return _orders(runtime)[order_id]


def _cancelled_order(runtime) -> str:
    return next(o for o, rec in _orders(runtime).items() if rec["packingStatus"] == "CANCELLED")


def _entry(client: TestClient, order_id: str, product: str) -> dict:
    runtime = client.app.runtime if hasattr(client.app, "runtime") else None
    assert runtime is not None
    order = _order(runtime, order_id)
    return next(e for e in order["entries"] if e["productId"] == product)


def _jwt(payload: dict) -> str:
    import base64

    def enc(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(payload)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("path", "field"),
    [("/pick-pack/acme/orders/%0A/assignees/abc", "path.orderId"),
     ("/pick-pack/acme/orders/a%0Ab/assignees/abc", "path.orderId"),
     ("/pick-pack/acme/orders/%2F/assignees/abc", "path.orderId"),
     ("/pick-pack/acme/orders//assignees/abc", "path.orderId"),
     ("/pick-pack/ac%0Ame/events", "path.tenant")],
)
def test_unroutable_parameters_are_400_naming_them(client: TestClient, path: str,
                                                   field: str) -> None:
    r = client.request("DELETE" if "assignees" in path else "GET", path, headers=ACME_ALL)
    assert r.status_code == 400 and field in r.json()["detailInfo"]


def test_short_assignee_id_is_added_but_its_delete_names_the_path_rule(
    client: TestClient,
) -> None:
    r = client.post(f"{PP}/orders/123/assignees", json={**ASSIGNEE, "id": "u1"}, headers=ACME_ALL)
    assert r.status_code == 200
    r = client.delete(f"{PP}/orders/123/assignees/u1", headers=ACME_ALL)
    assert r.status_code == 400 and "path.assigneeId" in r.json()["detailInfo"]


@pytest.mark.parametrize("path", ["/pick-pack/acme/events/", "/api/v2/order/action/assign/",
                                  "/customer-management/acme/contact-assignments/"])
def test_trailing_slash_is_a_json_404_not_a_redirect(client: TestClient, path: str) -> None:
    r = client.get(path, headers=ACME_ALL, follow_redirects=False)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
