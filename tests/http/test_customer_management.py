"""Customer Management over HTTP: documented examples verbatim, every rule, error shapes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import ACME_ALL, ACME_VIEW, GLOBEX_ALL, bearer

SEEDS = Path(__file__).parents[1] / "data" / "seeds" / "customer_management"
CM = "/customer-management/acme/contact-assignments"
JSON_ALL = {**ACME_ALL, "Content-Type": "application/json"}
HEX24 = re.compile(r"^[0-9a-f]{24}$")

# Seeded acme records (fixtures/customer-management.yaml).
LE_COMPANY = "123e06ecf0452c2d6c0b81390"
LE_SUBSIDIARY = "123e06ecf0452c2d6c0b12391"
LE_POST = "612306ecf0452c2d6c0b81392"
LE_PUT = "612306ecf0452c2d6c0b82222"
JOHN = "627e06ecf0452c2d6c0b81391"
ADAM = "123e06ecf0452c2d6c0b81390"
JANE = "612306ecf0452c2d6c0b81123"
MAX = "111106ecf0452c2d6c0b81123"


def raw(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def documented(name: str) -> Any:
    return json.loads(raw(name))


def corrected_list() -> list[dict[str, Any]]:
    """The page's list example with the two corrections of docs/spec-notes.md."""
    items = documented("list_contact_assignments.response.json")
    second = {("customer" if k == "contact" else k): v for k, v in items[1].items()}
    second["metadata"]["createdAt"] = "2022-04-30T13:18:02.379Z"
    return [items[0], second]


def new(le: str, customer: str, **extra: Any) -> dict[str, Any]:
    return {"legalEntity": {"id": le}, "customer": {"id": customer}, **extra}


def everything(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = client.get(CM, params={"pageSize": 1000, **params}, headers=ACME_ALL)
    assert r.status_code == 200, r.text
    return r.json()


# --- the documented examples, sent byte for byte ----------------------------------------


def test_documented_create(client: TestClient) -> None:
    r = client.post(CM, content=raw("create_contact_assignment.request.json"), headers=JSON_ALL)
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == list(documented("create_contact_assignment.response.json"))
    assert HEX24.match(body["id"])  # generated, so not the page's value
    read = client.get(f"{CM}/{body['id']}", headers=ACME_ALL).json()
    sent = documented("create_contact_assignment.request.json")
    assert read["legalEntity"]["id"] == sent["legalEntity"]["id"]
    assert read["customer"]["id"] == sent["customer"]["id"]
    assert (read["type"], read["primary"]) == (sent["type"], sent["primary"])
    assert read["metadata"]["version"] == 1


def test_documented_upsert_creates_then_updates(client: TestClient) -> None:
    path = f"{CM}/{documented('upsert_contact_assignment.response.json')['id']}"
    request = raw("upsert_contact_assignment.request.json")
    r = client.put(path, content=request, headers=JSON_ALL)
    assert r.status_code == 201
    assert r.json() == documented("upsert_contact_assignment.response.json")
    r = client.put(path, content=request, headers=JSON_ALL)  # version 1 matches
    assert r.status_code == 204 and r.content == b""
    read = client.get(path, headers=ACME_ALL).json()
    assert read["metadata"]["version"] == 2
    assert (read["type"], read["primary"]) == ("LOGISTICS", False)
    assert read["legalEntity"]["id"] == LE_PUT and read["customer"]["id"] == MAX


def test_documented_list_is_served(client: TestClient) -> None:
    r = client.get(CM, params={"pageSize": 2}, headers=ACME_ALL)
    assert r.status_code == 200
    assert r.json() == corrected_list()
    assert json.dumps(r.json()) == json.dumps(corrected_list())  # key order too
    r = client.get(CM, params={"customer.id": JOHN}, headers=ACME_ALL)
    assert r.json() == corrected_list()


def test_documented_get_id_answers_the_list_item(client: TestClient) -> None:
    r = client.get(f"{CM}/627e06ecf0452c2d6c0b81391", headers=ACME_ALL)
    assert r.status_code == 200
    assert r.json() == corrected_list()[0]
    r = client.get(f"{CM}/627e06ecf0452c2d6c0b81311", headers=ACME_ALL)
    assert r.json() == corrected_list()[1]


def test_documented_delete(client: TestClient) -> None:
    r = client.delete(f"{CM}/627e06ecf0452c2d6c0b81311", headers=ACME_ALL)
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"{CM}/627e06ecf0452c2d6c0b81311", headers=ACME_ALL).status_code == 404


# --- create --------------------------------------------------------------------------------


def test_create_defaults_and_custom_id(client: TestClient) -> None:
    r = client.post(CM, json=new(LE_POST, ADAM, id="my-contact_1"), headers=ACME_ALL)
    assert (r.status_code, r.json()) == (201, {"id": "my-contact_1"})
    read = client.get(f"{CM}/my-contact_1", headers=ACME_ALL).json()
    assert (read["type"], read["primary"]) == ("CONTACT", False)
    assert read["customer"] == {
        "id": ADAM,
        "name": "Adam",
        "surname": "Smith",
        "email": "adam.smith@sample.org",
    }
    assert read["metadata"]["createdAt"] == read["metadata"]["modifiedAt"]


def test_duplicate_custom_id_is_409(client: TestClient) -> None:
    r = client.post(CM, json=new(LE_POST, ADAM, id=JOHN), headers=ACME_ALL)
    assert r.status_code == 409
    assert r.json() == {
        "code": 409,
        "status": "Conflict",
        "message": "A contact assignment with the given id already exists.",
        "details": [f"body.id: contact assignment '{JOHN}' already exists"],
        "resourceId": JOHN,
    }


def test_second_assignment_of_a_customer_to_a_legal_entity_is_409(client: TestClient) -> None:
    r = client.post(CM, json=new(LE_COMPANY, JOHN, type="LOGISTICS"), headers=ACME_ALL)
    assert r.status_code == 409
    body = r.json()
    assert body["message"] == "The customer is already assigned to the legal entity."
    assert body["resourceId"] == "627e06ecf0452c2d6c0b81311"


@pytest.mark.parametrize(
    ("payload", "message", "resource"),
    [
        (
            new("000000000000000000000000", JANE),
            "The legal entity with the requested code does not exist.",
            "000000000000000000000000",
        ),
        (
            new(LE_POST, "ghost"),
            "The customer with the requested code does not exist.",
            "ghost",
        ),
    ],
)
def test_unknown_reference_is_404(
    client: TestClient, payload: dict[str, Any], message: str, resource: str
) -> None:
    before = len(everything(client))
    r = client.post(CM, json=payload, headers=ACME_ALL)
    assert r.status_code == 404
    body = r.json()
    assert (body["code"], body["status"], body["message"]) == (404, "Not Found", message)
    assert body["resourceId"] == resource
    assert len(everything(client)) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"customer": {"id": JANE}}, "body"),
        (new(LE_POST, JANE, type="OWNER"), "body.type"),
        (new(LE_POST, JANE, id="has space"), "body.id"),
        (new(LE_POST, JANE, id="x" * 67), "body.id"),
        (new(LE_POST, JANE, primary="yes"), "body.primary"),
        ({"legalEntity": {}, "customer": {"id": JANE}}, "body.legalEntity"),
    ],
)
def test_invalid_create_bodies_name_the_field(
    client: TestClient, payload: dict[str, Any], field: str
) -> None:
    r = client.post(CM, json=payload, headers=ACME_ALL)
    assert r.status_code == 400
    body = r.json()
    assert (body["code"], body["status"]) == (400, "Bad Request")
    assert any(detail.startswith(field) for detail in body["details"]), body


def test_malformed_json_says_where(client: TestClient) -> None:
    r = client.post(CM, content=b'{"legalEntity": {"id": "x"},\n "customer": }', headers=JSON_ALL)
    assert r.status_code == 400
    assert "line 2" in json.dumps(r.json())


def test_wrong_content_type_is_415(client: TestClient) -> None:
    r = client.post(
        CM, content=b"legalEntity=x", headers={**ACME_ALL, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    assert r.json()["code"] == 415 and r.json()["status"] == "Unsupported Media Type"


# --- upsert ----------------------------------------------------------------------------------


def test_upsert_with_stale_version_is_409_and_unchanged(client: TestClient) -> None:
    path = f"{CM}/627e06ecf0452c2d6c0b81311"  # stored version is 2
    payload = new(LE_COMPANY, JOHN, type="BILLING", metadata={"version": 1})
    r = client.put(path, json=payload, headers=ACME_ALL)
    assert r.status_code == 409
    assert r.json()["details"] == ["body.metadata.version: is 1, the stored version is 2"]
    assert client.get(path, headers=ACME_ALL).json() == corrected_list()[1]


def test_upsert_right_version_and_no_version_both_update(client: TestClient) -> None:
    path = f"{CM}/627e06ecf0452c2d6c0b81311"
    r = client.put(
        path, json=new(LE_COMPANY, JOHN, type="BILLING", metadata={"version": 2}), headers=ACME_ALL
    )
    assert r.status_code == 204
    r = client.put(path, json=new(LE_COMPANY, JOHN, type="CONTACT", primary=True), headers=ACME_ALL)
    assert r.status_code == 204
    read = client.get(path, headers=ACME_ALL).json()
    assert (read["type"], read["primary"], read["metadata"]["version"]) == ("CONTACT", True, 4)
    assert read["metadata"]["createdAt"] == "2022-04-30T13:18:02.379Z"
    assert read["metadata"]["modifiedAt"] > "2024"


def test_upsert_keeps_the_pair_rule(client: TestClient) -> None:
    # moving 81391 (Subsidiary, John) onto the Company would repeat 81311's pair
    r = client.put(f"{CM}/{JOHN}", json=new(LE_COMPANY, JOHN, type="BILLING"), headers=ACME_ALL)
    assert r.status_code == 409
    r = client.put(f"{CM}/fresh-id", json=new(LE_COMPANY, JOHN, type="BILLING"), headers=ACME_ALL)
    assert r.status_code == 409
    assert client.get(f"{CM}/fresh-id", headers=ACME_ALL).status_code == 404


def test_upsert_requires_type_and_checks_references(client: TestClient) -> None:
    r = client.put(f"{CM}/x1", json=new(LE_PUT, MAX), headers=ACME_ALL)
    assert r.status_code == 400 and any("body.type" in d for d in r.json()["details"])
    r = client.put(f"{CM}/x1", json=new("nope", MAX, type="CONTACT"), headers=ACME_ALL)
    assert r.status_code == 404
    assert r.json()["message"] == "The legal entity with the requested code does not exist."


def test_invalid_path_id_is_400(client: TestClient) -> None:
    r = client.put(f"{CM}/bad.id", json=new(LE_PUT, MAX, type="CONTACT"), headers=ACME_ALL)
    assert r.status_code == 400
    assert any(d.startswith("path.contactAssignmentId") for d in r.json()["details"])


async def _two_puts(app: Any, payloads: list[dict[str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return list(
            await asyncio.gather(
                *(
                    http.put(f"{CM}/627e06ecf0452c2d6c0b81311", json=p, headers=ACME_ALL)
                    for p in payloads
                )
            )
        )


def test_concurrent_puts_with_the_same_version_exactly_one_wins(
    client: TestClient, app: Any
) -> None:
    for round_ in range(10):
        path = f"{CM}/627e06ecf0452c2d6c0b81311"
        version = client.get(path, headers=ACME_ALL).json()["metadata"]["version"]
        payloads = [
            new(LE_COMPANY, JOHN, type=kind, metadata={"version": version})
            for kind in ("BILLING", "LOGISTICS")
        ]
        responses = asyncio.run(_two_puts(app, payloads))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [204, 409], (round_, statuses)
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["details"] == [
            f"body.metadata.version: is {version}, the stored version is {version + 1}"
        ]
        after = client.get(path, headers=ACME_ALL).json()
        assert after["metadata"]["version"] == version + 1
        winner = responses.index(next(r for r in responses if r.status_code == 204))
        assert after["type"] == payloads[winner]["type"]


# --- delete and get ---------------------------------------------------------------------------


def test_create_get_delete_get(client: TestClient) -> None:
    created = client.post(CM, json=new(LE_PUT, JANE), headers=ACME_ALL).json()["id"]
    assert client.get(f"{CM}/{created}", headers=ACME_ALL).status_code == 200
    assert client.delete(f"{CM}/{created}", headers=ACME_ALL).status_code == 204
    r = client.get(f"{CM}/{created}", headers=ACME_ALL)
    assert r.status_code == 404
    assert r.json() == {
        "code": 404,
        "status": "Not Found",
        "message": "The contact assignment with the requested id does not exist.",
        "details": [f"path.contactAssignmentId: no contact assignment '{created}' in this tenant"],
        "resourceId": created,
    }
    assert client.delete(f"{CM}/{created}", headers=ACME_ALL).status_code == 404


def test_get_fields_projection(client: TestClient) -> None:
    r = client.get(
        f"{CM}/{JOHN}",
        params={"fields": "type,customer.name,legalEntity.customerGroups.id"},
        headers=ACME_ALL,
    )
    assert r.json() == {
        "id": JOHN,
        "legalEntity": {"customerGroups": [{"id": "123e06ecf0452c2d6c0b81390"}]},
        "customer": {"name": "John"},
        "type": "BILLING",
    }


# --- list: filters, q, sort, paging, fields, X-Total-Count -------------------------------------


def test_filters_and_q_combine(client: TestClient) -> None:
    every = everything(client)
    assert len(every) >= 40

    def expect(predicate: Any) -> list[str]:
        return [a["id"] for a in every if predicate(a)]

    cases: list[tuple[dict[str, Any], Any]] = [
        ({"type": "BILLING"}, lambda a: a["type"] == "BILLING"),
        ({"primary": "true"}, lambda a: a["primary"] is True),
        (
            {"primary": "false", "type": "CONTACT"},
            lambda a: not a["primary"] and a["type"] == "CONTACT",
        ),
        ({"legalEntity.id": LE_COMPANY}, lambda a: a["legalEntity"]["id"] == LE_COMPANY),
        ({"q": "customer.name:~^j"}, lambda a: a["customer"]["name"].lower().startswith("j")),
        (
            {"q": "legalEntity.type:SUBSIDIARY primary:true"},
            lambda a: a["legalEntity"]["type"] == "SUBSIDIARY" and a["primary"],
        ),
        (
            {"q": 'metadata.createdAt:<"2023-01-01T00:00:00Z"'},
            lambda a: a["metadata"]["createdAt"] < "2023",
        ),
        (
            {"q": "metadata.version:(>=2 AND <=3)", "type": "LOGISTICS"},
            lambda a: 2 <= a["metadata"]["version"] <= 3 and a["type"] == "LOGISTICS",
        ),
        ({"q": "type:(PRIMARY,BILLING)"}, lambda a: a["type"] in {"PRIMARY", "BILLING"}),
        ({"q": "customer.email:missing"}, lambda a: "email" not in a["customer"]),
        (
            {"q": "legalEntity.customerGroups.id:123e06ecf0452c2d6c0b12345"},
            lambda a: any(
                g["id"] == "123e06ecf0452c2d6c0b12345"
                for g in a["legalEntity"].get("customerGroups", [])
            ),
        ),
        (
            {"q": "legalEntity.customerGroups.name.en:~group"},
            lambda a: any(
                "group" in g["name"]["en"].lower()
                for g in a["legalEntity"].get("customerGroups", [])
            ),
        ),
        ({"q": "nosuch:x"}, lambda a: False),
    ]
    for params, predicate in cases:
        got = [a["id"] for a in everything(client, **params)]
        assert got == expect(predicate), params
        assert got or params.get("q") == "nosuch:x", params  # each case selects something


def sort_key(record: dict[str, Any], path: str) -> tuple[int, Any]:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (2, value)
    return (1, value) if isinstance(value, int | float) else (3, value)


@pytest.mark.parametrize(
    "sort",
    [
        "legalEntity.name",
        "legalEntity.name:desc,customer.surname",
        "type:DESC,metadata.createdAt:desc",
        "primary:desc,metadata.version,id:desc",
        "customer.surname:asc",
        "metadata.version:Desc",  # only desc/DESC descend
    ],
)
def test_sort_paging_total_and_fields(client: TestClient, sort: str) -> None:
    every = everything(client)
    expected = list(every)
    for part in reversed(sort.split(",")):
        field, _, direction = part.partition(":")
        expected.sort(key=lambda r, f=field: sort_key(r, f), reverse=direction in {"desc", "DESC"})
    ids = [r["id"] for r in expected]
    assert [r["id"] for r in everything(client, sort=sort)] == ids
    size = 7
    for number in range(1, len(ids) // size + 3):
        r = client.get(
            CM,
            params={"sort": sort, "pageSize": size, "pageNumber": number, "fields": "type"},
            headers={**ACME_ALL, "X-Total-Count": "true"},
        )
        assert r.status_code == 200
        assert r.headers["X-Total-Count"] == str(len(ids))
        page = r.json()
        assert [item["id"] for item in page] == ids[(number - 1) * size : number * size]
        assert all(set(item) <= {"id", "type"} for item in page)


def test_default_page_is_16_and_past_the_end_is_empty(client: TestClient) -> None:
    every = everything(client)
    first = client.get(CM, headers=ACME_ALL).json()
    assert [a["id"] for a in first] == [a["id"] for a in every[:16]]
    r = client.get(CM, params={"pageNumber": 999}, headers=ACME_ALL)
    assert (r.status_code, r.json()) == (200, [])


def test_total_count_only_on_request_and_after_filters(client: TestClient) -> None:
    r = client.get(CM, params={"pageSize": 1}, headers=ACME_ALL)
    assert "X-Total-Count" not in r.headers
    r = client.get(CM, params={"pageSize": 1}, headers={**ACME_ALL, "X-Total-Count": "false"})
    assert "X-Total-Count" not in r.headers
    r = client.get(
        CM,
        params={"pageSize": 1, "customer.id": JOHN},
        headers={**ACME_ALL, "X-Total-Count": "true"},
    )
    assert r.headers["X-Total-Count"] == "2"
    assert len(r.json()) == 1
    r = client.get(CM, params={"q": "nosuch:x"}, headers={**ACME_ALL, "X-Total-Count": "true"})
    assert (r.json(), r.headers["X-Total-Count"]) == ([], "0")


def test_list_fields_keep_id(client: TestClient) -> None:
    page = client.get(
        CM, params={"pageSize": 2, "fields": "customer.surname,metadata.version"}, headers=ACME_ALL
    ).json()
    assert page == [
        {"id": JOHN, "customer": {"surname": "Doe"}, "metadata": {"version": 1}},
        {
            "id": "627e06ecf0452c2d6c0b81311",
            "customer": {"surname": "Doe"},
            "metadata": {"version": 2},
        },
    ]


@pytest.mark.parametrize(
    ("q", "column"),
    [("type:(BILLING", 14), ("customer.name", 14), ('type:"open', 6), ("a:>x", 4)],
)
def test_malformed_q_is_400_with_position(client: TestClient, q: str, column: int) -> None:
    r = client.get(CM, params={"q": q}, headers=ACME_ALL)
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == "The query parameter q is malformed."
    assert body["details"][0].startswith(f"query.q: at column {column}: ")
    assert "expected" in body["details"][0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 0}, "query.pageSize"),
        ({"pageNumber": 0}, "query.pageNumber"),
        ({"pageNumber": "x"}, "query.pageNumber"),
        ({"type": "OWNER"}, "query.type"),
        ({"primary": "maybe"}, "query.primary"),
    ],
)
def test_invalid_list_parameters_name_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    r = client.get(CM, params=params, headers=ACME_ALL)
    assert r.status_code == 400
    assert any(d.startswith(field) for d in r.json()["details"])


def test_invalid_total_count_header_is_400(client: TestClient) -> None:
    r = client.get(CM, headers={**ACME_ALL, "X-Total-Count": "perhaps"})
    assert r.status_code == 400
    assert any(d.startswith("header.X-Total-Count") for d in r.json()["details"])


# --- auth and tenants --------------------------------------------------------------------------


def test_missing_or_unknown_token_is_the_fault_body(client: TestClient) -> None:
    for headers in ({}, bearer("nope")):
        r = client.get(CM, headers=headers)
        assert r.status_code == 401
        assert r.json() == {
            "fault": {
                "faultstring": "Invalid access token",
                "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
            }
        }


def test_read_scope_can_read_but_not_write(client: TestClient) -> None:
    assert client.get(CM, headers=ACME_VIEW).status_code == 200
    assert client.get(f"{CM}/{JOHN}", headers=ACME_VIEW).status_code == 200
    for r in (
        client.post(CM, json=new(LE_POST, JANE), headers=ACME_VIEW),
        client.put(f"{CM}/{JOHN}", json=new(LE_POST, JANE, type="CONTACT"), headers=ACME_VIEW),
        client.delete(f"{CM}/{JOHN}", headers=ACME_VIEW),
    ):
        assert r.status_code == 403
        assert r.json() == {
            "code": 403,
            "status": "Forbidden",
            "message": "Scope validation failed",
            "details": ["Missing required scopes '[customermanagement.contactassignment_manage]'"],
        }


def test_token_of_another_tenant_is_400(client: TestClient) -> None:
    r = client.get(CM, headers=GLOBEX_ALL)
    assert r.status_code == 400
    body = r.json()
    assert (
        body["message"] == "Tenant in the header is not matching with the one provided in the URI."
    )
    assert (body["code"], body["status"]) == (400, "Bad Request")


def test_tenants_are_isolated(client: TestClient) -> None:
    client.delete(f"{CM}/{JOHN}", headers=ACME_ALL)
    globex = client.get(
        "/customer-management/globex/contact-assignments",
        params={"pageSize": 1000},
        headers=GLOBEX_ALL,
    ).json()
    assert len(globex) >= 36 and JOHN not in {a["id"] for a in globex}
    created = client.post(CM, json=new(LE_POST, JANE), headers=ACME_ALL).json()["id"]
    r = client.get(f"/customer-management/globex/contact-assignments/{created}", headers=GLOBEX_ALL)
    assert r.status_code == 404


def test_same_seed_same_data(make_client: Any) -> None:
    one, two, other = make_client(seed=5), make_client(seed=5), make_client(seed=6)

    def listing(c: TestClient) -> bytes:
        return c.get(CM, params={"pageSize": 1000}, headers=ACME_ALL).content

    assert listing(one) == listing(two)
    assert listing(one) != listing(other)
