"""The schemathesis CLI against the server started as the README starts it.

Users run the CLI against a running server, not our in-process app: this is
that run, over a real socket, for every spec ``GET /`` lists, with every check
and both positive and negative data, in all four phases (examples, coverage,
fuzzing, stateful). Example counts are small (``SPECDOUBLE_LIVE_EXAMPLES``
raises them); the in-process suites search deeper.

Per spec, a ``schemathesis.toml`` says what a user's would: the credentials
(the tokens of the default fixtures), the tenant (``acme``; a random one is
only ever refused), ids of seeded records (dictionaries, so valid data also
reaches the rules and not only the 404s), and the statuses with which the
documented business rules refuse schema-valid data (as the in-process contract
tests declare them). Nothing else is relaxed: no check or operation is left out.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

# one process runs them all: the module-scoped server starts once (--dist loadgroup)
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("live-schemathesis")]

BIN = Path(sys.executable).parent
EXAMPLES = int(os.environ.get("SPECDOUBLE_LIVE_EXAMPLES", "5"))
RUN_TIMEOUT = 600  # seconds per CLI run; a hang fails the test instead of blocking CI

# The grammar of ``q`` (format emporix-query) for the CLI, as the in-process CM
# contract test registers it: random text is not a query, and is rightly 400.
HOOKS = '''
import hypothesis.strategies as st
import schemathesis

FIELDS = st.sampled_from(["type", "primary", "metadata.version", "customer.name",
                          "customer.surname", "legalEntity.name", "nosuch.field"])
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
DATE = st.sampled_from(['"2019-01-06T10:29:30.602Z"', '"2024-01-01"'])
CMP = st.tuples(st.sampled_from([">", ">=", "<", "<="]),
                st.integers(-5, 10).map(str) | DATE).map("".join)
VALUE = st.one_of(
    WORD, WORD.map(lambda w: f'"{w} x"'), WORD.map(lambda w: f"~{w}"), CMP,
    st.tuples(CMP, CMP).map(lambda pair: f"({pair[0]} AND {pair[1]})"),
    st.sampled_from(["exists", "null", "missing", "true", "false"]),
    st.lists(WORD, min_size=1, max_size=3).map(lambda items: "(" + ",".join(items) + ")"),
)
CONDITION = st.tuples(FIELDS, VALUE).map(lambda pair: f"{pair[0]}:{pair[1]}")
schemathesis.openapi.format(
    "emporix-query", st.lists(CONDITION, min_size=1, max_size=3).map(" ".join))
'''


@dataclass(frozen=True)
class Profile:
    """What a user's schemathesis.toml holds for one spec."""

    headers: Mapping[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # name -> values; bound to parameters as {"dictionary": name, "probability": p}
    dictionaries: Mapping[str, list[Any]] = field(default_factory=dict)
    # operationId -> statuses besides 2xx (and Schemathesis' defaults) with which
    # documented rules refuse schema-valid data (docs/spec-notes.md)
    refusals: Mapping[str, list[str]] = field(default_factory=dict)
    hooks: bool = False
    # changes the server for everyone (resets, fault rules): runs alone, last
    alone: bool = False


def seeded(name: str, probability: float = 0.8) -> dict[str, Any]:
    return {"dictionary": name, "probability": probability}


PROFILES: dict[str, Profile] = {
    "emporix-pick-pack": Profile(
        headers={"Authorization": "Bearer acme-all", "saas-token": "text"},
        parameters={"path.tenant": "acme", "path.orderId": seeded("orders"),
                    "body.orderNumber": seeded("orders"), "body.productId": seeded("products")},
        dictionaries={"orders": ["123", "03DV9N3R", "5XS34VOB", "JGPZWWLA", "09FFWHA2"],
                      "products": ["123", "456", "1001", "1002", "1003", "1004"]},
        # an unknown order/product in an event is 400; force=false on an order with an
        # assignee is 400; MANUAL without orderIds is 400
        refusals={"createEvent": ["400"], "addAssignee": ["400"],
                  "createRecalculation": ["400"]},
    ),
    "emporix-customer-management": Profile(
        headers={"Authorization": "Bearer acme-all"},
        parameters={"path.tenant": "acme"},
        hooks=True,
    ),
    "emporix-oauth": Profile(
        parameters={"body.client_id": seeded("clients"), "body.client_secret": seeded("secrets"),
                    "body.scope": seeded("scopes", 0.5)},
        dictionaries={"clients": ["acme-client", "globex-client"],
                      "secrets": ["acme-secret", "globex-secret"],
                      "scopes": ["tenant=acme pickpack.pickpack_view", "pickpack.pickpack_manage"]},
        # a scope the client is not allowed (or another tenant's) is 400 invalid_scope
        refusals={"issueToken": ["400"]},
    ),
    "shopatron-order": Profile(
        headers={"Authorization": "Bearer shopatron-test"},
        parameters={
            "body.orderID": seeded("orders"),
            "body.packageAssignment[*].itemAssign[*].orderItemID": seeded("items"),
            "body.packageAssignment[*].locationID": seeded("locations"),
        },
        dictionaries={"orders": [6543210, 123456],
                      "items": [123456, 6789012, 98765, 998887, 7776665],
                      "locations": [1010, 2020, 3030]},
        # rules OpenAPI cannot express, ids not in the order and quantities above what
        # is open are 400 (OMS 5011/5013/5015); an API-Key not the token's is 403
        refusals={"assignOrder": ["400", "403"]},
    ),
    "shopatron-oauth": Profile(basic=("acme-api-key", "acme-api-secret")),
    "admin": Profile(
        parameters={"path.tenant": seeded("tenants", 0.5), "query.tenant": seeded("tenants", 0.5)},
        dictionaries={"tenants": ["acme", "globex"]},
        # unknown tenant or rule 404; a state document the services' schemas refuse,
        # or a fault rule naming an unknown operation or undocumented status, 400; a
        # tenant name in use, or a default tenant dropped, 409
        refusals={"importState": ["400"], "createFault": ["400"], "createTenant": ["409"],
                  "deleteTenant": ["409"]},
        alone=True,
    ),
}


# --- a schemathesis.toml from a profile ------------------------------------------------------

def toml_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)  # strings, numbers, booleans: JSON and TOML agree


# Warnings that mean this run proves nothing: credentials refused everywhere, the
# base URL or a dictionary not matching the spec, a profile naming no operation.
FAIL_ON_WARNINGS = ["missing_auth", "base_url_mismatch", "dictionary_mismatch",
                    "unmatched_filter", "unresolvable_reference", "missing_deserializer"]


def config_text(profile: Profile, hooks_file: Path) -> str:
    lines = [f"warnings = {{ fail-on = {toml_value(FAIL_ON_WARNINGS)} }}"]
    if profile.hooks:
        lines.append(f"hooks = {toml_value(str(hooks_file))}")
    if profile.headers:
        lines.append(f"headers = {toml_value(profile.headers)}")
    if profile.basic:
        username, password = profile.basic
        lines += ["[auth]", f"basic = {toml_value({'username': username, 'password': password})}"]
    if profile.parameters:
        lines.append("[parameters]")
        lines += [f"{toml_value(k)} = {toml_value(v)}" for k, v in profile.parameters.items()]
    for name, values in profile.dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {toml_value(values)}"]
    for operation_id, statuses in profile.refusals.items():
        lines += ["[[operations]]", f"include-operation-id = {toml_value(operation_id)}",
                  "checks.positive_data_acceptance.expected-statuses = "
                  + toml_value(list(dict.fromkeys(["2xx", "401", "403", "404", "409",
                                                   *statuses])))]
    return "\n".join(lines) + "\n"


def test_config_text_is_valid_toml(tmp_path: Path) -> None:
    import tomllib

    text = config_text(PROFILES["shopatron-order"], tmp_path / "hooks.py")
    parsed = tomllib.loads(text)
    assert parsed["headers"] == {"Authorization": "Bearer shopatron-test"}
    assert parsed["parameters"]["body.orderID"] == {"dictionary": "orders", "probability": 0.8}
    assert parsed["dictionaries"]["items"]["values"][0] == 123456
    (operation,) = parsed["operations"]
    assert operation["include-operation-id"] == "assignOrder"
    assert "400" in operation["checks"]["positive_data_acceptance"]["expected-statuses"]


# --- the server, as the README starts it --------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``specdouble serve`` (the console script of the README) on a free port."""
    port = free_port()
    env = {**os.environ, "SPECDOUBLE_PORT": str(port)}
    process = subprocess.Popen([str(BIN / "specdouble"), "serve"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        banner = "-"  # the start stages come first, then the banner
        while process.stdout and banner and "serving on" not in banner:
            banner = process.stdout.readline()
        assert base in banner, banner
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


# --- the runs --------------------------------------------------------------------------------

ALL_PHASES = "examples,coverage,fuzzing,stateful"


def command(config: Path, base: str, spec: str, phases: str = ALL_PHASES) -> list[str]:
    return [
        str(BIN / "schemathesis"), "--config-file", str(config), "run", base + spec,
        "--url", base, "--checks", "all", "--mode", "all",
        "--phases", phases,
        "--max-examples", str(EXAMPLES), "--generation-deterministic",
        "--workers", "1", "--request-timeout", "30", "--no-color",
    ]


def start(slug: str, spec: str, base: str, folder: Path) -> tuple[subprocess.Popen[str], Path]:
    config = folder / f"{slug}.toml"
    config.write_text(config_text(PROFILES[slug], folder / "hooks.py"))
    output = folder / f"{slug}.out"
    with output.open("w") as sink:
        process = subprocess.Popen(command(config, base, spec), cwd=folder, stdout=sink,
                                   stderr=subprocess.STDOUT, text=True)
    return process, output


def report(slug: str, code: int, output: Path) -> str:
    text = output.read_text()
    start_at = text.find("FAILURES")
    excerpt = text[start_at - 40:] if start_at >= 0 else text[-6000:]
    return f"\n===== {slug}: schemathesis exited {code} =====\n{excerpt[:20000]}"


def test_schemathesis_cli_passes_on_every_served_spec(served: str, tmp_path: Path) -> None:
    index = httpx.get(served + "/", timeout=10).json()
    specs = {service["spec"].removeprefix("/specs/").removesuffix(".json"): service["spec"]
             for service in index["services"]}
    assert set(specs) == set(PROFILES), "every served spec needs a profile here"
    (tmp_path / "hooks.py").write_text(HOOKS)
    failures = []
    # The service specs run side by side (their state is disjoint); the admin spec
    # resets tenants and adds fault rules, so it runs alone, after them.
    for alone in (False, True):
        runs = {slug: start(slug, spec, served, tmp_path)
                for slug, spec in specs.items() if PROFILES[slug].alone is alone}
        for slug, (process, output) in runs.items():
            code = process.wait(timeout=RUN_TIMEOUT)
            if code != 0:
                failures.append(report(slug, code, output))
    # the admin run leaves its fault rules and tenants behind
    httpx.delete(served + "/__admin/faults", timeout=10)
    httpx.post(served + "/__admin/reset", timeout=30)
    assert not failures, "".join(failures)


def test_a_server_error_fails_the_cli_run(served: str, tmp_path: Path) -> None:
    """The run has teeth: a 500 (forced by a fault rule) makes the CLI exit non-zero."""
    fault = httpx.post(served + "/__admin/faults", timeout=10,
                       json={"operationId": "listEvents", "status": 500})
    assert fault.status_code == 201, fault.text
    try:
        config = tmp_path / "pickpack.toml"
        config.write_text(config_text(PROFILES["emporix-pick-pack"], tmp_path / "hooks.py"))
        run = [*command(config, served, "/specs/emporix-pick-pack.json", phases="examples"),
               "--include-operation-id", "listEvents"]
        result = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True,
                                timeout=RUN_TIMEOUT)
    finally:
        httpx.delete(served + "/__admin/faults", timeout=10)
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Server error" in result.stdout and "GET /pick-pack/{tenant}/events" in result.stdout


def test_refused_credentials_fail_the_cli_run(served: str, tmp_path: Path) -> None:
    """A run where every answer is 401/403 proves nothing: the missing_auth warning fails it."""
    profile = dataclasses.replace(PROFILES["emporix-pick-pack"],
                                  headers={"Authorization": "Bearer nosuch", "saas-token": "x"})
    config = tmp_path / "pickpack.toml"
    config.write_text(config_text(profile, tmp_path / "hooks.py"))
    run = command(config, served, "/specs/emporix-pick-pack.json", phases="examples")
    result = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Authentication failed" in result.stdout


@pytest.mark.parametrize("path", ["/oauth/token", "/oauthserver/oauth2/token"])
def test_non_ascii_client_secret_is_refused_not_a_crash(served: str, path: str) -> None:
    """Found by the CLI run: a non-ASCII secret for a known client was a 500."""
    secret = "s\u00e9cret\U0001f511"
    if path == "/oauth/token":
        answer = httpx.post(served + path, timeout=10, data={
            "grant_type": "client_credentials", "client_id": "acme-client",
            "client_secret": secret})
    else:
        basic = base64.b64encode(f"acme-api-key:{secret}".encode()).decode()
        answer = httpx.post(served + path, timeout=10,
                            data={"grant_type": "client_credentials"},
                            headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 401, answer.text
