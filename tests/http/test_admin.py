"""The admin API in-process: journal, reset, state, outbox, tenants, access."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.data.seeding import seed_tenant
from specdouble.http.admin.guard import is_local
from specdouble.http.app import create_app
from specdouble.state.memory import MemoryStore
from specdouble.support.settings import Settings
from specdouble.world import tenants
from specdouble.world.runtime import Runtime
from tests.conftest import ACME_ALL, GLOBEX_ALL, SHOPATRON, bearer

PP = "/pick-pack/acme"
ASSIGNEE = {"id": "u1", "siteCode": "main", "firstName": "Ada", "lastName": "Lovelace"}
ASSIGN = "/api/v2/order/action/assign"


def journal(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/__admin/requests", params=params)
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def add_assignee(client: TestClient, order: str = "123", headers: dict | None = None) -> Any:
    return client.post(f"{PP}/orders/{order}/assignees", json=ASSIGNEE,
                       headers=headers or ACME_ALL)


# --- health and the index ----------------------------------------------------------------

def test_health(client: TestClient) -> None:
    body = client.get("/__admin/health").json()
    assert body["status"] == "ok"
    assert body["tenants"] == ["acme", "globex"]
    assert body["journal"] == {"entries": 0, "capacity": 1000}
    assert body["faults"] == 0


def test_admin_spec_served_and_listed(client: TestClient) -> None:
    services = {s["name"]: s for s in client.get("/").json()["services"]}
    assert services["admin"]["spec"] == "/specs/admin.json"
    spec = client.get("/specs/admin.json").json()
    assert "/__admin/faults" in spec["paths"]


# --- journal -----------------------------------------------------------------------------

def test_journal_records_requests_newest_first_with_details(client: TestClient) -> None:
    client.get(f"{PP}/events", params={"pageSize": 1}, headers=ACME_ALL)
    add_assignee(client)
    entries = journal(client)
    assert [(e["method"], e["operationId"], e["status"]) for e in entries] == [
        ("POST", "addAssignee", 200), ("GET", "listEvents", 200)]
    newest, oldest = entries
    assert newest["id"] > oldest["id"]
    assert newest["path"] == f"{PP}/orders/123/assignees" and newest["tenant"] == "acme"
    assert '"firstName":"Ada"' in newest["request"]["body"].replace(" ", "")
    assert newest["response"]["size"] > 0 and newest["durationMs"] >= 0
    assert oldest["query"] == "pageSize=1" and oldest["request"]["body"] is None
    assert newest["validation"] == {"passed": True, "errors": []}
    assert newest["forced"] is False and newest["fault"] is None


def test_journal_says_why_validation_failed(client: TestClient) -> None:
    client.get(f"{PP}/events", params={"pageSize": "x"}, headers=ACME_ALL)
    client.post(f"{PP}/orders/123/assignees", content=b"{", headers={
        **ACME_ALL, "Content-Type": "application/json"})
    bad_json, bad_query = journal(client)
    assert bad_query["validation"]["passed"] is False
    assert any(e.startswith("query.pageSize") for e in bad_query["validation"]["errors"])
    assert bad_json["status"] == 400 and bad_json["validation"]["passed"] is False


def test_journal_auth_failure_is_not_a_validation_failure(client: TestClient) -> None:
    client.get(f"{PP}/events", headers=bearer("nope"))
    (entry,) = journal(client)
    assert entry["status"] == 401 and entry["validation"]["passed"] is True


def test_journal_tenant_from_token_when_the_path_has_none(client: TestClient) -> None:
    client.post(ASSIGN, json={"orderID": 1}, headers=SHOPATRON)
    (entry,) = journal(client)
    assert entry["tenant"] == "acme" and entry["operationId"] == "assignOrder"


def test_journal_marks_forced_answers(client: TestClient) -> None:
    client.get(f"{PP}/events", headers={**ACME_ALL, "Prefer": "code=500"})
    client.get(f"{PP}/events", params={"pageSize": 1}, headers=ACME_ALL)
    normal, forced = journal(client)
    assert (forced["status"], forced["forced"]) == (500, True)
    assert (normal["status"], normal["forced"]) == (200, False)


def test_journal_filters(client: TestClient) -> None:
    client.get(f"{PP}/events", headers=ACME_ALL)
    client.get("/pick-pack/globex/events", headers=GLOBEX_ALL)
    add_assignee(client)
    client.get(f"{PP}/orders/123/nothing", headers=ACME_ALL)
    assert [e["tenant"] for e in journal(client, tenant="globex")] == ["globex"]
    assert [e["operationId"] for e in journal(client, operationId="addAssignee")] == [
        "addAssignee"]
    assert len(journal(client, method="GET")) == 3
    assert [e["path"] for e in journal(client, path="/pick-pack/*/events")] == [
        "/pick-pack/globex/events", f"{PP}/events"]
    (unknown,) = journal(client, status=404)
    assert unknown["operationId"] is None
    assert len(journal(client, limit=2)) == 2
    assert journal(client, tenant="acme", method="POST")[0]["operationId"] == "addAssignee"


def test_journal_rejects_bad_filters(client: TestClient) -> None:
    response = client.get("/__admin/requests", params={"limit": 0})
    assert response.status_code == 400
    assert response.json()["details"][0].startswith("query.limit")


def test_admin_and_docs_requests_are_not_journaled(client: TestClient) -> None:
    client.get("/__admin/health")
    client.get("/specs/admin.json")
    client.get("/")
    assert journal(client) == []


def test_journal_clear(client: TestClient) -> None:
    client.get(f"{PP}/events", headers=ACME_ALL)
    assert client.delete("/__admin/requests").status_code == 204
    assert journal(client) == []


def test_journal_is_a_bounded_ring(make_client: Any) -> None:
    small = make_client(journal_size=3)
    for size in range(1, 7):
        small.get(f"{PP}/events", params={"pageSize": size}, headers=ACME_ALL)
    body = small.get("/__admin/requests").json()
    assert body["capacity"] == 3 and body["count"] == 3
    assert [e["query"] for e in body["requests"]] == ["pageSize=6", "pageSize=5", "pageSize=4"]


def test_journal_cuts_bodies(shared_client: Any) -> None:
    small = shared_client(journal_body_limit=16)
    small.get(f"{PP}/events", headers=ACME_ALL)
    (entry,) = small.get("/__admin/requests").json()["requests"]
    assert len(entry["response"]["body"]) == 16
    assert entry["response"]["truncated"] is True and entry["response"]["size"] > 16


def test_journal_records_a_413_as_invalid(make_client: Any) -> None:
    small = make_client(max_body=32)
    small.post(f"{PP}/orders/123/assignees", json={**ASSIGNEE, "pad": "x" * 100},
               headers=ACME_ALL)
    (entry,) = small.get("/__admin/requests").json()["requests"]
    assert entry["status"] == 413 and entry["validation"]["passed"] is False


# --- faults over the in-process client (kinds over a real server: test_admin_live.py) ----

def test_fault_rules_listed_and_deleted(client: TestClient) -> None:
    created = client.post("/__admin/faults", json={"operationId": "addAssignee", "status": 409,
                                                   "times": 2})
    assert created.status_code == 201
    rule = created.json()
    assert rule["id"] and rule["remaining"] == 2
    assert client.get("/__admin/faults").json()["faults"] == [rule]
    assert client.delete(f"/__admin/faults/{rule['id']}").status_code == 204
    assert client.delete(f"/__admin/faults/{rule['id']}").status_code == 404
    client.post("/__admin/faults", json={"status": 500})
    assert client.delete("/__admin/faults").status_code == 204
    assert client.get("/__admin/faults").json() == {"faults": []}


def test_status_fault_answers_the_service_shape_and_changes_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    client.post("/__admin/faults", json={"operationId": "addAssignee", "status": 409,
                                         "times": 1})
    before = runtime.store.export_tenant("acme")
    response = add_assignee(client)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == 409 and body["message"] == "conflict" and "detailInfo" in body
    assert runtime.store.export_tenant("acme") == before
    assert add_assignee(client).status_code == 200  # times: 1 expired
    faulted = journal(client, status=409)[0]
    assert faulted["fault"] and faulted["operationId"] == "addAssignee"


def test_undocumented_status_for_an_operation_is_refused(client: TestClient) -> None:
    response = client.post("/__admin/faults", json={"operationId": "listEvents",
                                                    "status": 409})
    assert response.status_code == 400
    assert "does not document 409" in response.json()["details"][0]


def test_faults_never_apply_to_the_admin_api(client: TestClient) -> None:
    client.post("/__admin/faults", json={"path": "*", "status": 503})
    assert client.get("/__admin/health").status_code == 200


# --- reset and state ---------------------------------------------------------------------

def test_reset_all_and_one(client: TestClient, runtime: Runtime) -> None:
    seeded = {t: runtime.store.export_tenant(t) for t in ("acme", "globex")}
    add_assignee(client)
    client.post("/customer-management/globex/contact-assignments", headers=GLOBEX_ALL, json={})
    assert runtime.store.export_tenant("acme") != seeded["acme"]
    assert client.post("/__admin/reset", params={"tenant": "acme"}).json() == {"reset": ["acme"]}
    assert runtime.store.export_tenant("acme") == seeded["acme"]
    add_assignee(client)
    assert client.post("/__admin/reset").json() == {"reset": ["acme", "globex"]}
    assert {t: runtime.store.export_tenant(t) for t in seeded} == seeded


def test_reset_unknown_tenant_is_404(client: TestClient) -> None:
    response = client.post("/__admin/reset", params={"tenant": "nosuch"})
    assert response.status_code == 404 and response.json()["error"] == "Not Found"


def test_export_reset_import_round_trip(client: TestClient) -> None:
    add_assignee(client)
    client.post(f"{PP}/jobs/recalculations", json={"jobType": "AUTOMATIC"}, headers=ACME_ALL)
    exported = client.get("/__admin/state/acme").json()
    assert exported["tenant"] == "acme"
    assert exported["collections"]["pickpack.orders"]["123"]["assignees"][0]["id"] == "u1"
    client.post("/__admin/reset")
    assert client.get("/__admin/state/acme").json() != exported
    fresh = client.post(f"{PP}/orders/123/assignees", params={"force": "false"}, json=ASSIGNEE,
                        headers=ACME_ALL)
    assert fresh.status_code == 200  # no assignee after the reset
    client.post("/__admin/reset")
    imported = client.put("/__admin/state/acme", json=exported)
    assert imported.status_code == 200, imported.text
    assert imported.json()["records"]["pickpack.orders"] == len(
        exported["collections"]["pickpack.orders"])
    assert client.get("/__admin/state/acme").json() == exported
    # the restored state is live: order 123 has its assignee again, so force=false is refused
    refused = client.post(f"{PP}/orders/123/assignees", params={"force": "false"},
                          json={**ASSIGNEE, "id": "u2"}, headers=ACME_ALL)
    assert refused.status_code == 400


def test_import_into_another_tenant(client: TestClient) -> None:
    exported = client.get("/__admin/state/acme").json()
    assert client.put("/__admin/state/globex", json=exported).status_code == 200
    assert client.get("/__admin/state/globex").json()["collections"] == exported["collections"]
    # the documented acme example now works on globex
    assert client.get("/pick-pack/globex/events", headers=GLOBEX_ALL).json()[0][
        "eventId"] == "evt-0001"


def test_invalid_import_is_400_naming_records_and_fields_and_keeps_old_state(
    client: TestClient,
) -> None:
    before = client.get("/__admin/state/acme").json()
    broken = copy.deepcopy(before)
    customers = broken["collections"]["cm.customers"]
    key = next(iter(customers))
    customers[key]["name"] = 5
    broken["collections"]["pickpack.orders"]["123"]["packingStatus"] = "LOST"
    broken["collections"]["shopatron.orders"]["zzz"] = {"orderID": "nine"}
    broken["collections"]["nosuch.things"] = {}
    broken["collections"]["pickpack.events"] = {}  # valid: would empty events
    response = client.put("/__admin/state/acme", json=broken)
    assert response.status_code == 400
    details = response.json()["details"]
    assert f"collections.cm.customers.{key}.name: 5 is not of type 'string'" in details
    assert any(d.startswith("collections.pickpack.orders.123.packingStatus:") for d in details)
    assert any(d.startswith("collections.shopatron.orders.zzz") for d in details)
    assert any(d.startswith("collections.nosuch.things: unknown collection") for d in details)
    assert client.get("/__admin/state/acme").json() == before


def test_import_key_must_equal_the_id(client: TestClient) -> None:
    state = client.get("/__admin/state/acme").json()
    orders = state["collections"]["pickpack.orders"]
    orders["other"] = {**orders["123"]}
    response = client.put("/__admin/state/acme", json=state)
    assert response.status_code == 400
    assert response.json()["details"] == [
        "collections.pickpack.orders.other.orderId: must equal the record's key 'other', "
        "got '123'"]


def test_state_of_unknown_tenant_is_404(client: TestClient) -> None:
    assert client.get("/__admin/state/nosuch").status_code == 404
    assert client.put("/__admin/state/nosuch", json={"collections": {}}).status_code == 404


# --- outbox ------------------------------------------------------------------------------

def test_outbox_lists_recorded_shopatron_emails(client: TestClient) -> None:
    assert client.get("/__admin/outbox").json() == {"emails": []}
    response = client.post(ASSIGN, headers=SHOPATRON, json={
        "orderID": 6543210, "sendEmails": True, "rectifyOrder": False,
        "packageAssignment": [{"locationID": 1010}]})
    assert response.status_code == 200, response.text
    emails = client.get("/__admin/outbox").json()["emails"]
    assert [(e["tenant"], e["template"], e["orderID"]) for e in emails] == [
        ("acme", "shipment_assigned", 6543210)]
    assert client.get("/__admin/outbox", params={"tenant": "globex"}).json() == {"emails": []}
    assert client.get("/__admin/outbox", params={"tenant": "nosuch"}).status_code == 404


# --- tenants on demand -------------------------------------------------------------------

def test_create_list_and_drop_a_tenant(client: TestClient) -> None:
    created = client.post("/__admin/tenants", json={"name": "qa1", "seed": 7})
    assert created.status_code == 201
    body = created.json()
    assert body == {
        "name": "qa1", "seed": 7, "default": False,
        "tokens": {"all": "qa1-all", "view": "qa1-view"},
        "client": {"clientId": "qa1-client", "clientSecret": "qa1-secret"},
        "shopatron": {"token": "qa1-shopatron", "apiKey": "qa1-api-key",
                      "apiSecret": "qa1-api-secret"},
    }
    names = [t["name"] for t in client.get("/__admin/tenants").json()["tenants"]]
    assert names == ["acme", "globex", "qa1"]
    events = client.get("/pick-pack/qa1/events", headers=bearer("qa1-all"))
    assert events.status_code == 200 and events.json()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                              "client_id": "qa1-client",
                                              "client_secret": "qa1-secret"})
    assert token.status_code == 200 and "tenant=qa1" in token.json()["scope"]
    assert client.delete("/__admin/tenants/qa1").status_code == 204
    assert client.get("/pick-pack/qa1/events", headers=bearer("qa1-all")).status_code == 401
    assert client.delete("/__admin/tenants/qa1").status_code == 404


def test_view_token_cannot_write(client: TestClient) -> None:
    client.post("/__admin/tenants", json={"name": "qa2"})
    order = next(iter(client.get("/__admin/state/qa2").json()["collections"][
        "pickpack.orders"]))
    response = client.post(f"/pick-pack/qa2/orders/{order}/assignees", json=ASSIGNEE,
                           headers=bearer("qa2-view"))
    assert response.status_code == 403


def test_created_tenants_are_isolated(client: TestClient) -> None:
    client.post("/__admin/tenants", json={"name": "cione"})
    client.post("/__admin/tenants", json={"name": "citwo"})
    acme_before = client.get("/__admin/state/acme").json()["collections"]
    two_before = client.get("/__admin/state/citwo").json()["collections"]
    one = bearer("cione-all")
    event = {"eventId": "iso-1", "orderNumber": None, "productId": None, "unit": "H87",
             "timestamp": "2024-07-01T10:00:00.000Z", "site": "main", "packedAmount": 1}
    order = next(iter(client.get("/__admin/state/cione").json()["collections"][
        "pickpack.orders"].values()))
    event.update(orderNumber=order["orderId"], productId=order["entries"][0]["productId"],
                 unit=order["entries"][0]["orderUnit"], site=order["siteCode"])
    created = client.post("/pick-pack/cione/events", json=event,
                          headers={**one, "saas-token": "text"})
    assert created.status_code == 200, created.text
    assert "iso-1" in client.get("/__admin/state/cione").json()["collections"][
        "pickpack.events"]
    assert client.get("/__admin/state/acme").json()["collections"] == acme_before
    assert client.get("/__admin/state/citwo").json()["collections"] == two_before
    # a created tenant's token is refused on acme and on the other created tenant
    assert client.get(f"{PP}/events", headers=one).status_code == 403
    assert client.get("/pick-pack/citwo/events", headers=one).status_code == 403
    assert client.get("/pick-pack/cione/events", headers=ACME_ALL).status_code == 403


def test_created_tenant_reset_uses_its_seed(client: TestClient) -> None:
    client.post("/__admin/tenants", json={"name": "seeded", "seed": 42})
    seeded = client.get("/__admin/state/seeded").json()
    client.put("/__admin/state/seeded", json={"collections": {}})
    client.post("/__admin/reset", params={"tenant": "seeded"})
    assert client.get("/__admin/state/seeded").json() == seeded
    client.post("/__admin/tenants", json={"name": "other", "seed": 43})
    assert client.get("/__admin/state/other").json()["collections"] != seeded["collections"]


def test_created_tenant_holds_what_seeding_gives(client: TestClient, runtime: Runtime) -> None:
    """Kept packed (memory store) or not, the data is the seeders' output, before and after
    a write and a reset, and the same for the same name and seed on another server."""
    client.post("/__admin/tenants", json={"name": "packed", "seed": 5})
    seeded = seed_tenant("packed", 5, runtime.seeders, runtime.fixtures.services,
                         specs=runtime.specs)
    assert client.get("/__admin/state/packed").json()["collections"] == seeded
    assert runtime.store.export_tenant("packed") == seeded
    event = next(iter(seeded["pickpack.events"]))
    listed = client.get("/pick-pack/packed/events", params={"pageSize": 1000},
                        headers=bearer("packed-all")).json()
    assert sorted(e["eventId"] for e in listed) == sorted(seeded["pickpack.events"])
    with runtime.store.transaction("packed") as tx:
        assert tx.delete("pickpack.events", event)
    assert event not in runtime.store.export_tenant("packed")["pickpack.events"]
    client.post("/__admin/reset", params={"tenant": "packed"})
    assert runtime.store.export_tenant("packed") == seeded


def test_dropping_a_created_tenant_forgets_it_everywhere(client: TestClient,
                                                         runtime: Runtime) -> None:
    def mentions(name: str) -> list[str]:
        found = [f"seeded {key}" for key in runtime.seeded if key[0] == name]
        found += [f"seed {name}"] if runtime.shared.get(tenants.SEEDS, name) is not None else []
        found += [f"store {name}"] if runtime.store.has_tenant(name) else []
        store = runtime.store
        if isinstance(store, MemoryStore):
            found += [f"lock {t}" for t in store._locks if t == name]
            found += [f"records {t}" for t in store._tenants if t == name]
        for realm in runtime.tokens.ttls:
            for kind in ("tokens", "clients", "issued"):
                found += [f"{kind}:{realm} {key}" for key, value in
                          runtime.shared.items(f"{kind}:{realm}").items()
                          if value["tenant"] == name]
        return found

    client.post("/__admin/tenants", json={"name": "gone"})
    assert client.get("/pick-pack/gone/events", headers=bearer("gone-all")).status_code == 200
    assert client.post("/oauth/token", data={"grant_type": "client_credentials",
                                             "client_id": "gone-client",
                                             "client_secret": "gone-secret"}).status_code == 200
    client.post("/__admin/reset")
    assert mentions("gone")
    assert client.delete("/__admin/tenants/gone").status_code == 204
    assert mentions("gone") == []


def test_existing_or_default_tenant_conflicts(client: TestClient) -> None:
    assert client.post("/__admin/tenants", json={"name": "acme"}).status_code == 409
    client.post("/__admin/tenants", json={"name": "qa3"})
    assert client.post("/__admin/tenants", json={"name": "qa3"}).status_code == 409
    dropped = client.delete("/__admin/tenants/acme")
    assert dropped.status_code == 409 and "cannot be dropped" in dropped.json()["message"]


@pytest.mark.parametrize("name", ["ab", "Acme", "1abc", "a-b-c", "abcdefghijklmnopq"])
def test_invalid_tenant_name_is_400(client: TestClient, name: str) -> None:
    response = client.post("/__admin/tenants", json={"name": name})
    assert response.status_code == 400
    assert all(d.startswith("body.name") for d in response.json()["details"])


# --- access ------------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("testclient", True), ("10.0.0.7", False), ("192.168.1.2", False), ("::2", False),
    ("example.com", False),
])
def test_loopback_detection(host: str, local: bool) -> None:
    assert is_local((host, 1234)) is local


def test_remote_clients_are_refused_without_a_token(app: Any) -> None:
    with TestClient(app, client=("10.0.0.7", 4000)) as remote:
        response = remote.get("/__admin/health")
        assert response.status_code == 403
        assert response.json()["details"] == ["client: 10.0.0.7 is not a loopback address"]
        # the mocked APIs still answer remote clients
        assert remote.get(f"{PP}/events", headers=ACME_ALL).status_code == 200
    with TestClient(app, client=("127.0.0.1", 4000)) as local:
        assert local.get("/__admin/health").status_code == 200


def test_admin_token_is_required_from_everywhere_when_set() -> None:
    app = create_app(Settings(admin_token="s3cret"))
    with TestClient(app, client=("127.0.0.1", 4000)) as local:
        missing = local.get("/__admin/health")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert local.get("/__admin/health", headers=bearer("wrong")).status_code == 401
        assert local.get("/__admin/health", headers=bearer("s3cret")).status_code == 200
    with TestClient(app, client=("10.0.0.7", 4000)) as remote:
        assert remote.get("/__admin/faults", headers=bearer("s3cret")).status_code == 200
        assert remote.get("/__admin/faults").status_code == 401


# --- closed to other origins (a web page in the user's browser) ----------------------------

def test_admin_answers_no_cors_to_other_origins(client: TestClient) -> None:
    origin = {"Origin": "https://evil.example"}
    assert "access-control-allow-origin" not in client.get("/__admin/health",
                                                           headers=origin).headers
    preflight = client.options("/__admin/reset", headers={
        **origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    # the mocked APIs keep answering any origin
    api = client.get(f"{PP}/events", headers={**ACME_ALL, **origin})
    assert api.headers["access-control-allow-origin"] == "*"


def test_admin_cors_origin_lets_one_origin_in() -> None:
    app = create_app(Settings(admin_cors_origins=("http://qa.local:3000",)))
    with TestClient(app) as client:
        allowed = client.get("/__admin/health", headers={"Origin": "http://qa.local:3000"})
        assert allowed.headers["access-control-allow-origin"] == "http://qa.local:3000"
        other = client.get("/__admin/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.7"])
def test_a_foreign_host_is_refused_without_a_token(client: TestClient, host: str) -> None:
    """DNS rebinding: a page whose name resolves to 127.0.0.1 sends its own Host."""
    response = client.get("/__admin/state/acme", headers={"Host": host})
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"status", "error", "message", "details"}
    assert body["details"][0].startswith("header.Host:")
    assert client.get("/__admin/health", headers={"Host": host}).status_code == 200  # probes


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080",
                                  "app.localhost"])
def test_loopback_hosts_reach_the_admin_api(client: TestClient, host: str) -> None:
    assert client.get("/__admin/state/acme", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/__admin/reset"), ("POST", "/__admin/tenants"), ("PUT", "/__admin/state/acme"),
    ("POST", "/__admin/faults")])
def test_state_changes_from_simple_cross_site_requests_are_refused(
    client: TestClient, method: str, path: str,
) -> None:
    """A form or no-cors fetch can send text/plain or form bodies without a preflight."""
    before = client.get("/__admin/state/acme").json()
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.request(method, path, content=b'{"name":"csrf1"}',
                                  headers={"Content-Type": content_type})
        assert response.status_code == 415, response.text
        assert response.json()["details"][0].startswith("header.Content-Type:")
    bodiless = client.request(method, path, headers={"Origin": "https://evil.example"})
    assert bodiless.status_code == 403
    assert bodiless.json()["details"][0].startswith("header.Origin:")
    assert client.get("/__admin/state/acme").json() == before
    assert "csrf1" not in client.get("/__admin/health").json()["tenants"]


# --- refused before the body was read: the journal still shows what was sent -----------


@pytest.mark.parametrize("headers", [
    {},                                              # 401: no token
    {**ACME_ALL, "Prefer": "code=401"},              # forced before the body is read
    {**ACME_ALL, "Prefer": "code=403"},
])
def test_journal_records_the_body_of_a_refused_request(client: TestClient,
                                                       headers: dict[str, str]) -> None:
    sent = {**ASSIGNEE, "note": "refused but recorded"}
    response = client.post(f"{PP}/orders/123/assignees", json=sent, headers=headers)
    assert response.status_code in (401, 403)
    (entry,) = journal(client)
    body = response.request.content
    assert entry["request"] == {"body": body.decode(), "size": len(body), "truncated": False}


def test_journal_records_the_body_of_a_header_validation_failure(client: TestClient) -> None:
    event = {"eventId": "e1", "orderNumber": "123", "productId": "123", "unit": "H87",
             "timestamp": "2020-09-14T13:35:18.333Z", "site": "main"}
    response = client.post(f"{PP}/events", json=event, headers=ACME_ALL)  # no saas-token
    assert response.status_code == 400
    (entry,) = journal(client)
    assert entry["validation"]["passed"] is False
    assert entry["request"]["size"] == len(response.request.content) > 0
    assert '"eventId":"e1"' in entry["request"]["body"].replace(" ", "")


def test_journal_of_a_refused_body_keeps_the_cap_and_the_full_size(shared_client: Any) -> None:
    small = shared_client(journal_body_limit=16)
    padded = {**ASSIGNEE, "pad": "x" * 200}
    response = small.post(f"{PP}/orders/123/assignees", json=padded)  # no token: 401
    assert response.status_code == 401
    (entry,) = small.get("/__admin/requests").json()["requests"]
    body = response.request.content
    assert entry["request"] == {"body": body[:16].decode(), "size": len(body),
                                "truncated": True}
