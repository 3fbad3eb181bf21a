"""The Shopatron specs: valid, examples valid, and in step with the domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from prance import ResolvingParser
from tests.builtin import SPECS as BUILT_IN_SPECS

from specdouble.data.seeders.shopatron import seed
from specdouble.data.seeding import SeedContext
from specdouble.domain import shopatron
from specdouble.state.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SPECS = ("shopatron-order.yaml", "shopatron-oauth.yaml")
EXAMPLES = ROOT / "tests" / "data" / "seeds" / "shopatron"


def resolved(name: str) -> dict[str, Any]:
    parser = ResolvingParser(str(ROOT / "specs" / name), backend="openapi-spec-validator")
    return parser.specification


def named_examples(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every named example of every body."""
    out = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, r) for status, r in operation.get("responses", {}).items()]
            for label, body in bodies:
                for media, content in (body.get("content") or {}).items():
                    assert "example" not in content, f"{path} {label}: use named examples"
                    for name, example in (content.get("examples") or {}).items():
                        out.append((f"{method} {path} {label} {media} {name}",
                                    content["schema"], example["value"]))
    return out


@pytest.mark.parametrize("name", SPECS)
def test_every_named_example_matches_its_schema(name: str) -> None:
    examples = named_examples(resolved(name))
    assert examples
    for where, schema, value in examples:
        errors = list(OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
                      .iter_errors(value))
        assert not errors, f"{where}: {[e.message for e in errors]}"


@pytest.mark.parametrize("name", SPECS)
def test_no_security_functions_in_the_spec(name: str) -> None:
    text = (ROOT / "specs" / name).read_text()
    assert "InfoFunc" not in text  # the app injects them


def test_operation_ids_and_schemes() -> None:
    order = resolved("shopatron-order.yaml")
    operation = order["paths"]["/api/v2/order/action/assign"]["post"]
    assert operation["operationId"] == "assignOrder"
    assert operation["security"] == [{"bearer": []}]
    assert order["components"]["securitySchemes"]["bearer"] == {
        **order["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "413", "415",
                                           "500"}
    token = resolved("shopatron-oauth.yaml")["paths"]["/oauthserver/oauth2/token"]["post"]
    assert token["operationId"] == "issueShopatronToken"
    assert token["security"] == [{"basic": []}]


def test_documented_dispositions_match_the_domain() -> None:
    schemas = resolved("shopatron-order.yaml")["components"]["schemas"]
    assert tuple(schemas["DispositionReason"]["enum"]) == shopatron.DISPOSITION_REASONS


@pytest.mark.parametrize(
    ("request_name", "response_name"),
    [("assign", "assigned"), ("cancel", "canceled"), ("backorder", "backordered")],
)
def test_response_examples_are_what_the_domain_answers(
    request_name: str, response_name: str
) -> None:
    """The spec's examples are the real answers on the default fixtures."""
    operation = resolved("shopatron-order.yaml")["paths"]["/api/v2/order/action/assign"]["post"]
    request = json.loads((EXAMPLES / f"{request_name}.corrected.json").read_text())
    documented = operation["requestBody"]["content"]["application/json"]["examples"]
    assert documented[request_name]["value"] == request
    fixtures = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())["acme"]
    store = MemoryStore()
    store.load_tenant("acme", seed(SeedContext(specs=BUILT_IN_SPECS,
        tenant="acme", seed=3, service="shopatron",
                                               fixtures=fixtures)))
    answer = shopatron.assign_order(store, "acme", request,
                                    now=datetime(2024, 6, 2, 10, 0, tzinfo=UTC))
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples[response_name]["value"] == answer


def _validator(schema_name: str) -> OAS30Validator:
    schema = resolved("shopatron-order.yaml")["components"]["schemas"][schema_name]
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("tenant", ["acme", "globex"])
@pytest.mark.parametrize("number", [1, 2, 3])
def test_seeded_state_matches_the_spec_schemas(tenant: str, number: int) -> None:
    """Every stored record is what the spec promises (orders are sent back verbatim)."""
    fixtures = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())[tenant]
    data = seed(SeedContext(specs=BUILT_IN_SPECS,
        tenant=tenant, seed=number, service="shopatron", fixtures=fixtures))
    for collection, schema in ((shopatron.ORDERS, "Order"), (shopatron.LOCATIONS, "Location")):
        validator = _validator(schema)
        for key, record in data[collection].items():
            errors = [e.message for e in validator.iter_errors(record)]
            assert not errors, f"{collection}/{key}: {errors}"


def test_recorded_emails_match_the_spec_schema() -> None:
    fixtures = yaml.safe_load((ROOT / "fixtures" / "shopatron.yaml").read_text())["acme"]
    store = MemoryStore()
    store.load_tenant("acme", seed(SeedContext(specs=BUILT_IN_SPECS,
        tenant="acme", seed=1, service="shopatron",
                                               fixtures=fixtures)))
    now = datetime(2024, 6, 2, 10, 0, tzinfo=UTC)
    for name in ("backorder", "assign"):
        request = json.loads((EXAMPLES / f"{name}.corrected.json").read_text())
        shopatron.assign_order(store, "acme", {**request, "sendEmails": True}, now=now)
    cancel = json.loads((EXAMPLES / "cancel.corrected.json").read_text())
    shopatron.assign_order(store, "acme", cancel, now=now)
    emails = store.export_tenant("acme")[shopatron.EMAILS]
    assert len(emails) == 4
    validator = _validator("CustomerEmail")
    for record in emails.values():
        assert not [e.message for e in validator.iter_errors(record)]
