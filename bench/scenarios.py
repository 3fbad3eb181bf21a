"""The requests of the bench, the same for every server.

Each scenario is one request shape sent over and over with the status it
must get; any other status counts as an error. ``spec`` names the spec file
a single-spec server (Prism) must load to answer it. ``mode`` says how
specdouble serves it: ``serve`` (the built-in services, one process for all),
``mock`` (``specdouble mock SPEC``, a user spec, Prism's behaviour) or
``stateful`` (``specdouble mock --stateful SPEC``). User specs are generated
(``bench/userspec.py``) into a temporary directory at the start of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench import userspec

PICKPACK = "emporix-pick-pack.yaml"
CUSTOMER_MANAGEMENT = "emporix-customer-management.yaml"

TOKEN = {"Authorization": "Bearer acme-all"}
JSON = {"Content-Type": "application/json"}
SAAS = {"saas-token": "bench"}

# Order 123 of tenant acme has an entry for product 123; zero amounts keep the
# order as it is, so every write is valid however many are sent.
EVENT_BODY = (
    '{"eventId":"{{ID}}","orderNumber":"123","productId":"123",'
    '"deliveryCycle":"2023-10-13-11-test","pickedAmount":0,"packedAmount":0,'
    '"canceledAmount":0,"supplierId":"123","unit":"H87",'
    '"timestamp":"2020-09-14T13:35:18.333Z","site":"main","bookProduct":true}'
)
# eventId of the wrong type and five required fields missing.
INVALID_EVENT_BODY = '{"eventId":5,"pickedAmount":1}'

# The user-spec scenarios: a generated spec of 1,000 operations, requests to the
# last operation declared (the worst place for a router that scans in order).
USER_OPERATIONS = 1000
USER_SPEC = userspec.file_name(USER_OPERATIONS)
USER_LAST = userspec.last_resource(USER_OPERATIONS)
# create-read: a unique name per POST; the script reads back the id each answer gives.
ITEM_BODY = '{"name":"{{ID}}","price":1.5,"tags":["bench"]}'

CM_QUERY = urlencode({
    "q": "customer.name:~an",
    "sort": "customer.name:desc,metadata.createdAt",
    "fields": "id,customer.name,type,primary",
})


@dataclass(frozen=True)
class Scenario:
    """One request shape and the status it must get."""

    name: str
    title: str
    method: str
    path: str
    expected: int
    spec: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    mode: str = "serve"  # serve | mock | stateful: how specdouble is started for it
    script: str = "scenario.lua"  # the wrk script in bench/lua

    @property
    def generated(self) -> bool:
        """Whether ``spec`` is a generated user spec (written at the start of a run)."""
        return self.mode != "serve"

    @property
    def unique(self) -> bool:
        return self.body is not None and "{{ID}}" in self.body


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("read", "validated read: GET /pick-pack/acme/events?pageSize=20 with a token",
             "GET", "/pick-pack/acme/events?pageSize=20", 200, PICKPACK, TOKEN),
    Scenario("write", "validated write: POST /pick-pack/acme/events, unique eventId",
             "POST", "/pick-pack/acme/events", 200, PICKPACK, {**TOKEN, **SAAS, **JSON},
             EVENT_BODY),
    Scenario("cm-list", "Customer Management list with q, sort and fields",
             "GET", f"/customer-management/acme/contact-assignments?{CM_QUERY}", 200,
             CUSTOMER_MANAGEMENT, TOKEN),
    Scenario("reject-400", "rejected: invalid body, POST /pick-pack/acme/events -> 400",
             "POST", "/pick-pack/acme/events", 400, PICKPACK, {**TOKEN, **SAAS, **JSON},
             INVALID_EVENT_BODY),
    Scenario("reject-401", "rejected: missing token, GET /pick-pack/acme/events -> 401",
             "GET", "/pick-pack/acme/events?pageSize=20", 401, PICKPACK),
    Scenario("prefer-404", "forced: Prefer: code=404 on GET /pick-pack/acme/jobs/"
             "recalculations/123", "GET", "/pick-pack/acme/jobs/recalculations/123", 404,
             PICKPACK, {**TOKEN, "Prefer": "code=404"}),
    Scenario("user-1000", f"user spec of {USER_OPERATIONS:,} operations (specdouble mock): "
             f"GET /r{USER_LAST}/items/1, the last operation declared",
             "GET", f"/r{USER_LAST}/items/1", 200, USER_SPEC, mode="mock"),
    Scenario("create-read", f"user spec, specdouble mock --stateful: POST /r{USER_LAST}/items "
             "then GET the id it answered (Prism: stateless, the example)",
             "POST", f"/r{USER_LAST}/items", 201, USER_SPEC, JSON, ITEM_BODY,
             mode="stateful", script="create_read.lua"),
)


def by_name(names: list[str] | None) -> list[Scenario]:
    """The scenarios asked for, in the canonical order; unknown names are an error."""
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
    return [s for s in SCENARIOS if s.name in names]
