"""Schemathesis over the Customer Management spec: every check, then the links.

``q`` is declared with the custom format ``emporix-query``, so valid data
for it comes from a grammar-shaped strategy here (random text is not a
query, and a malformed one is rightly 400). The stateful test follows the
spec's links: create -> get / upsert / delete -> get 404.
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from specdouble.http.app import create_app
from specdouble.support.settings import Settings
from specdouble.world.tenants import reseed
from tests.contract import CI_EXAMPLES, FUZZ_EXAMPLES, all_checks, load_schema
from tests.redisserver import RedisServer

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

FIELDS = st.sampled_from(
    [
        "type",
        "primary",
        "metadata.version",
        "customer.name",
        "customer.surname",
        "legalEntity.name",
        "legalEntity.customerGroups.id",
        "legalEntity.customerGroups.name.en",
        "nosuch.field",
    ]
)
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-", min_size=1, max_size=8)
DATE = st.sampled_from(['"2019-01-06T10:29:30.602Z"', '"2023-05-01T00:00:00Z"', '"2024-01-01"'])
NUMBER = st.integers(-5, 10).map(str)
OPERAND = NUMBER | DATE
CMP = st.tuples(st.sampled_from([">", ">=", "<", "<="]), OPERAND).map("".join)
VALUE = st.one_of(
    WORD,
    WORD.map(lambda w: f'"{w} x"'),
    WORD.map(lambda w: f"~{w}"),
    WORD.map(lambda w: f"(~{w} {w})"),
    CMP,
    st.tuples(CMP, CMP).map(lambda pair: f"({pair[0]} AND {pair[1]})"),
    st.sampled_from(["exists", "null", "missing", "true", "false"]),
    st.lists(WORD, min_size=1, max_size=3).map(lambda items: "(" + ",".join(items) + ")"),
)
CONDITION = st.tuples(FIELDS, VALUE).map(lambda pair: f"{pair[0]}:{pair[1]}")
QUERIES = st.lists(CONDITION, min_size=1, max_size=3).map(" ".join)

schemathesis.openapi.format("emporix-query", QUERIES)

HEADERS = {"Authorization": "Bearer acme-all"}


@pytest.fixture(scope="module")
def cm_schema() -> Any:
    return load_schema("emporix-customer-management", headers=HEADERS,
                       parameters={"path.tenant": "acme"})


@pytest.fixture(scope="module")
def cm_schema_long() -> Any:
    return load_schema("emporix-customer-management", headers=HEADERS,
                       parameters={"path.tenant": "acme"}, max_examples=FUZZ_EXAMPLES)


@schemathesis.pytest.from_fixture("cm_schema").parametrize()
def test_customer_management_conforms(case) -> None:
    case.call_and_validate(checks=all_checks())


@pytest.mark.fuzz
@schemathesis.pytest.from_fixture("cm_schema_long").parametrize()
def test_customer_management_conforms_long(case) -> None:
    case.call_and_validate(checks=all_checks())


# Seeded acme records the links can build on: a body naming random ids would
# only ever be 404, and the chain create -> get -> upsert -> delete would not start.
LEGAL_ENTITIES = [
    "123e06ecf0452c2d6c0b12391",
    "123e06ecf0452c2d6c0b81390",
    "612306ecf0452c2d6c0b81392",
    "612306ecf0452c2d6c0b82222",
]
CUSTOMERS = [
    "627e06ecf0452c2d6c0b81391",
    "123e06ecf0452c2d6c0b81390",
    "612306ecf0452c2d6c0b81123",
    "111106ecf0452c2d6c0b81123",
]
WRITES = {"createContactAssignment", "upsertContactAssignment"}


def machine_for(app: Any) -> type:
    """The stateful test of the links over ``app``, a fresh acme per scenario."""
    schema = load_schema("emporix-customer-management", headers=HEADERS, app=app)

    class ContactAssignmentMachine(schema.as_state_machine()):  # type: ignore[misc]
        """Pins the tenant to acme and points valid bodies at existing records.

        Each scenario starts from freshly seeded data, so Hypothesis sees the same
        world every time it replays one.
        """

        def setup(self) -> None:
            reseed(app.runtime, "acme")
            super().setup()

        def before_call(self, case) -> None:
            meta = case.meta
            if meta is None or not meta.is_negative_at(ParameterLocation.PATH):
                case.path_parameters["tenant"] = "acme"
            negative_body = meta is not None and meta.is_negative_at(ParameterLocation.BODY)
            operation_id = case.operation.definition.raw.get("operationId")
            if isinstance(case.body, dict) and not negative_body and operation_id in WRITES:
                pick = zlib.crc32(repr(sorted(map(str, case.body.items()))).encode())
                case.body["legalEntity"] = {"id": LEGAL_ENTITIES[pick % 4]}
                case.body["customer"] = {"id": CUSTOMERS[(pick // 4) % 4]}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, checks=all_checks(), transport_kwargs=kwargs or None)

    return ContactAssignmentMachine


def run_links(app: Any, max_examples: int = CI_EXAMPLES) -> None:
    machine_for(app).run(
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_customer_management_stateful_links() -> None:
    run_links(create_app())


@pytest.mark.fuzz
def test_customer_management_stateful_links_long() -> None:
    run_links(create_app(), FUZZ_EXAMPLES)


def test_customer_management_stateful_links_on_redis(redis_server: RedisServer) -> None:
    """The same chains (create -> get / upsert / delete -> get) with the state in Redis."""
    app = create_app(Settings(state_url=redis_server.url,
                              state_prefix=f"contract-{uuid.uuid4().hex[:8]}"))
    try:
        run_links(app)
    finally:
        app.runtime.store.flush()
