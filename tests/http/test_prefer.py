"""Prefer: every documented status of every operation of every spec can be forced.

The cases are generated from the specs, not listed by hand; each forced
answer is validated against its spec with openapi-core, and state is
unchanged afterwards.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from specdouble.data.generator import SchemaDataGenerator
from specdouble.data.responses import documented_statuses
from specdouble.spec.loader import OperationIndex, operations
from tests.builtin import SPECS
from tests.conftest import CheckingClient

# The served specs, as an app holds them (no app is built to collect the cases).
_OPERATIONS = OperationIndex(SPECS)
ADMIN_PREFIX = "/__admin"


def _cases() -> list[Any]:
    cases = []
    for name, spec in SPECS.items():
        for method, path, operation in operations(spec):
            if path.startswith(ADMIN_PREFIX):
                continue
            for status in documented_statuses(operation):
                cases.append(pytest.param(name, method, path, operation["operationId"], status,
                                          id=f"{operation['operationId']}-{status}"))
    return cases


def _auth(spec: dict, operation: dict) -> dict[str, str]:
    requirements = operation.get("security", spec.get("security", []))
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for requirement in requirements:
        for scheme_name in requirement:
            scheme = schemes[scheme_name]
            if scheme["type"] == "oauth2":
                return {"Authorization": "Bearer acme-all"}
            if scheme.get("scheme", "").lower() == "bearer":
                return {"Authorization": "Bearer shopatron-test"}
            if scheme.get("scheme", "").lower() == "basic":
                raw = base64.b64encode(b"acme-api-key:acme-api-secret").decode()
                return {"Authorization": f"Basic {raw}"}
    return {}


def _value(param: dict, spec: dict, generator: SchemaDataGenerator) -> str:
    if param["name"] == "tenant":
        return "acme"
    if "example" in param:
        return str(param["example"])
    for example in (param.get("examples") or {}).values():
        return str(example["value"])
    value = generator.generate(param["schema"], root=spec, mode="request")
    return str(value).lower() if isinstance(value, bool) else str(value)


def build_request(name: str, method: str, path: str, operation: dict) -> dict[str, Any]:
    spec = SPECS[name]
    generator = SchemaDataGenerator(1)
    url, query, headers = path, {}, _auth(spec, operation)
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = urllib.parse.quote(_value(param, spec, generator), safe="")
            url = url.replace("{" + param["name"] + "}", value)
        elif param.get("required") and param["in"] == "query":
            query[param["name"]] = _value(param, spec, generator)
        elif param.get("required") and param["in"] == "header":
            headers[param["name"]] = re.sub(r"[\r\n]", "", _value(param, spec, generator))
    request: dict[str, Any] = {"method": method.upper(), "url": url, "params": query,
                               "headers": headers}
    body = operation.get("requestBody")
    if body:
        media_type, media = next(iter(body["content"].items()))
        examples = media.get("examples") or {}
        value = (next(iter(examples.values()))["value"] if examples
                 else generator.generate(media["schema"], root=spec, mode="request"))
        if media_type == "application/x-www-form-urlencoded":
            request["data"] = value
        else:
            request["content"] = orjson.dumps(value)
            headers["Content-Type"] = media_type
    return request


@pytest.mark.parametrize(("name", "method", "path", "operation_id", "status"), _cases())
def test_every_documented_status_can_be_forced(
    client: CheckingClient, runtime, name: str, method: str, path: str, operation_id: str,
    status: int,
) -> None:
    operation, _ = runtime.operation(operation_id)
    request = build_request(name, method, path, operation)
    request["headers"]["Prefer"] = f"code={status}"
    before = {t: runtime.store.export_tenant(t) for t in runtime.store.tenants()}
    response = client.request(**request)
    assert response.status_code == status, response.text
    assert response.headers.get("preference-applied") == f"code={status}"
    assert client.last_violations == []  # checked, and conforming
    after = {t: runtime.store.export_tenant(t) for t in runtime.store.tenants()}
    assert after == before


PP = "/pick-pack/acme"
AUTH = {"Authorization": "Bearer acme-all"}


def test_undocumented_code_lists_documented_ones(client: TestClient) -> None:
    r = client.get(f"{PP}/events", headers={**AUTH, "Prefer": "code=404"})
    assert r.status_code == 400
    assert "200, 400, 401, 403, 500" in r.json()["detailInfo"]


def test_example_by_name_and_unknown_name(client: TestClient, runtime) -> None:
    operation, _ = runtime.operation("getRecalculation")
    content = operation["responses"]["200"]["content"]["application/json"]
    name, example = next(iter(content["examples"].items()))
    r = client.get(f"{PP}/jobs/recalculations/anything", headers={**AUTH,
                                                                  "Prefer": f"example={name}"})
    assert r.status_code == 200 and r.json() == example["value"]
    r = client.get(f"{PP}/jobs/recalculations/anything", headers={**AUTH,
                                                                  "Prefer": "example=nope"})
    assert r.status_code == 400 and name in r.json()["detailInfo"]


def test_code_and_example_combined(client: TestClient, runtime) -> None:
    operation, _ = runtime.operation("createEvent")
    examples = operation["responses"]["409"]["content"]["application/json"]["examples"]
    name = list(examples)[-1]
    r = client.post(f"{PP}/events", json={}, headers={**AUTH, "Prefer": f"code=409, example={name}",
                                                      "saas-token": "x"})
    # validation runs first for codes other than 400/401/403
    assert r.status_code == 400
    body = orjson.loads(build_request("pickpack", "post", "/pick-pack/{tenant}/events",
                                      operation)["content"])
    r = client.post(f"{PP}/events", json=body, headers={**AUTH, "saas-token": "x",
                                                        "Prefer": f"code=409, example={name}"})
    assert r.status_code == 409 and r.json() == examples[name]["value"]


def test_forced_auth_errors_skip_auth_but_others_do_not(client: TestClient) -> None:
    r = client.get(f"{PP}/events", headers={"Prefer": "code=403"})
    assert r.status_code == 403 and r.headers["preference-applied"] == "code=403"
    r = client.get(f"{PP}/events", headers={"Prefer": "code=500"})
    assert r.status_code == 401 and "preference-applied" not in r.headers


def test_dynamic_bodies_valid_over_many_seeds(make_client) -> None:
    bodies = set()
    for seed in range(3):  # each seed is an app of its own (the specs parsed, tenants seeded)
        c = make_client(seed=seed)
        r = c.get(f"{PP}/events", headers={**AUTH, "Prefer": "dynamic=true"})
        assert r.status_code == 200
        assert c.last_violations == []  # checked, and conforming
        bodies.add(r.content)
    assert len(bodies) > 1


def test_dynamic_is_deterministic_per_seed(make_client) -> None:
    def run() -> list[bytes]:
        c = make_client(seed=42)
        return [c.get(f"{PP}/jobs/recalculations/abc", headers={
            **AUTH, "Prefer": "dynamic=true"}).content for _ in range(3)]

    assert run() == run()


def test_malformed_prefer_is_400(client: TestClient) -> None:
    r = client.get(f"{PP}/events", headers={**AUTH, "Prefer": "code=abc"})
    assert r.status_code == 400 and "header.Prefer" in r.json()["detailInfo"]


def _status_stamped_cases() -> list[Any]:
    cases = []
    for param in _cases():
        name, method, path, operation_id, status = param.values
        operation, _ = _OPERATIONS.operation(operation_id)
        content = operation["responses"][str(status)].get("content") or {}
        schema = (content.get("application/json") or {}).get("schema") or {}
        marked = [p for p, s in (schema.get("properties") or {}).items()
                  if s.get("x-http-status")]
        if marked:
            cases.append(pytest.param(name, method, path, operation_id, status, marked[0],
                                      id=f"{operation_id}-{status}"))
    return cases


@pytest.mark.parametrize(("name", "method", "path", "operation_id", "status", "field"),
                         _status_stamped_cases())
def test_dynamic_bodies_carry_the_http_status_where_the_spec_says(
    client: TestClient, name: str, method: str, path: str, operation_id: str, status: int,
    field: str,
) -> None:
    operation, _ = _OPERATIONS.operation(operation_id)
    request = build_request(name, method, path, operation)
    request["headers"]["Prefer"] = f"code={status}, dynamic=true"
    response = client.request(**request)
    assert response.status_code == status
    assert response.json()[field] == status
