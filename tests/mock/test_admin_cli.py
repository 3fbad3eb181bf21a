"""`specdouble mock`'s own flags and `serve --spec`: start-up files, bad input, a real socket."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from specdouble.cli import build_parser, main, prism_argv, settings_from
from specdouble.engine.mock import Options
from specdouble.http.app import create_app
from specdouble.http.mock import MockApp, create_mock_app
from specdouble.support.settings import Settings
from specdouble.support.terminal import Console
from tests.mock.helpers import SPECS, problem_type

# --- mock: flags --------------------------------------------------------------------------


def _served(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> dict[str, Any]:
    """Run `specdouble mock ...` up to the server, which is not started; what it got."""
    import specdouble.http.mock as mock_module

    seen: dict[str, Any] = {}

    def fake_serve(app, host, port, level, banner, workers=1, factory=None, limits=None):  # type: ignore[no-untyped-def]
        seen.update(app=app, workers=workers, limits=limits)
        banner(port)

    monkeypatch.setattr(mock_module, "serve_mock", fake_serve)
    try:
        seen["status"] = main(["mock", *argv])
    finally:  # the console (--journal) printed to this test's stdout: detach it
        Console(sys.stdout).attach(requests=False, stages=False)
    return seen


def test_flags_reach_the_admin_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"faults": [{"id": "fault-9", "operationId": "getPet",
                                              "status": 404, "hits": 3, "remaining": None}]}))
    state = tmp_path / "state.yaml"
    state.write_text("tenant: default\ncollections: {pets: {'1': {id: 1, name: Rex}}}\n")
    seen = _served(monkeypatch, [str(SPECS / "pets30.yaml"), "--faults", str(faults),
                                 "--state", str(state), "--admin-token", "tok", "--journal"])
    assert seen["status"] == 0
    app: MockApp = seen["app"]
    settings = app.runtime.settings
    assert settings.admin_token == "tok" and settings.log_requests is True
    client = TestClient(app, base_url="http://127.0.0.1:4010")
    auth = {"Authorization": "Bearer tok"}
    assert client.get("/__admin/health").status_code == 401
    (rule,) = client.get("/__admin/faults", headers=auth).json()["faults"]
    assert (rule["operationId"], rule["status"], rule["hits"]) == ("getPet", 404, 0)
    assert client.get("/__admin/state/default", headers=auth).json()["collections"] == {
        "pets": {"1": {"id": 1, "name": "Rex"}}}
    captured = capsys.readouterr()
    assert "not used" not in captured.err
    assert "/__admin/health" in captured.out


def test_journal_flag_takes_prisms_boolean_forms() -> None:
    parser = build_parser({})
    for argv, wanted in ((["--journal"], True), (["--journal", "false"], False),
                         (["--journal=true"], True), ([], False), (["--log-requests"], True)):
        args = parser.parse_args(prism_argv(["mock", *argv, "a.yaml"]))
        assert args.journal is wanted and args.specs == ["a.yaml"], argv


def test_state_url_without_stateful_is_announced_unused(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen = _served(monkeypatch, [str(SPECS / "pets30.yaml"), "--state-url",
                                 "redis://127.0.0.1:1/0"])
    assert seen["status"] == 0
    assert "--state-url is used with --stateful only" in capsys.readouterr().err


@pytest.mark.parametrize("host, warned", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_mock_beyond_loopback_without_a_token_starts_and_says_admin_stays_local(
        host: str, warned: bool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As `prism mock -h 0.0.0.0` does, it starts; the admin API answers loopback only."""
    seen = _served(monkeypatch, [str(SPECS / "pets30.yaml"), "-h", host])
    assert seen["status"] == 0
    assert ("/__admin answers loopback clients only" in capsys.readouterr().err) is warned
    client = TestClient(seen["app"], base_url="http://127.0.0.1:4010", client=("192.0.2.7", 5))
    assert client.get("/__admin/requests").status_code == 403


@pytest.mark.parametrize("flag, content, words", [
    ("--faults", "[{operationId: nope, status: 500}]",
     ["faults file", "rule [0]", "no operation 'nope' is mocked"]),
    ("--faults", "{not: [a list]}", ["faults file", "expected a list of fault rules"]),
    ("--faults", "[{operationId: listPets, status: 500}]",
     ["faults file", "listPets does not document 500"]),
    ("--faults", "{broken", ["faults file", "not JSON or YAML", "line 1, column 8"]),
    ("--state", "{collections: {}}", ["state file", "needs a 'tenant' name"]),
    ("--state", "{tenant: default, collections: {pets: [1, 2]}}",
     ["state file", "collections.pets: must be an object of id -> record"]),
    ("--state", "{tenant: default}", ["state file", "body.collections: is required"]),
    ("--state", "[{tenant: X, collections: {}}]", ["state file", "export [0]",
                                                   "'X' is not a tenant name"]),
])
def test_bad_start_files_are_one_line_and_exit_2(flag: str, content: str, words: list[str],
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(content)
    assert main(["mock", str(SPECS / "pets30.yaml"), flag, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("specdouble: cannot mock: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and str(path) in err
    for word in words:
        assert word in err


def test_a_missing_start_file_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["mock", str(SPECS / "pets30.yaml"), "--faults", "/nonexistent/faults.yaml"])
    assert exited.value.code == 2
    assert "no such file: /nonexistent/faults.yaml" in capsys.readouterr().err


def test_a_user_path_under_admin_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "admin.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
                    "  /__admin/health:\n    get:\n      responses: {'200': {description: ok}}\n")
    with pytest.raises(ValueError, match=r"GET /__admin/health clashes with the admin API"):
        create_mock_app([spec], Options())


# --- a real socket: dropped connections ---------------------------------------------------

@contextmanager
def _live(app: Any) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize("kind", ["connection_reset", "empty_response"])
def test_a_drop_fault_closes_the_connection(kind: str) -> None:
    app = create_mock_app([SPECS / "pets30.yaml"], Options())
    with _live(app) as base, httpx.Client(base_url=base) as client:
        rule = {"operationId": "getOwner", "fault": kind, "times": 1}
        assert client.post("/__admin/faults", json=rule).status_code == 201
        with pytest.raises(httpx.TransportError):
            client.get("/owner")
        assert client.get("/owner").status_code == 200
        entries = client.get("/__admin/requests").json()["requests"]
    assert [(e["status"], e["fault"]) for e in entries] == [(200, None), (None, "fault-1")]


# --- serve --spec -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def beside() -> TestClient:
    """The built-in server with a Swagger 2.0 and an OpenAPI 3.0 user spec beside it."""
    settings = Settings(user_specs=(str(SPECS / "pets20.yaml"), str(SPECS / "shop-a.yaml")))
    return TestClient(create_app(settings))


def test_serve_spec_serves_user_and_built_in_paths(beside: TestClient) -> None:
    beside.delete("/__admin/requests")
    assert beside.get("/v2/pets").json() == [{"id": 1, "name": "Rex"}]
    assert beside.get("/a/items").json() == ["a"]
    built_in = beside.get("/pick-pack/acme/events", headers={"Authorization": "Bearer acme-all"})
    assert built_in.status_code == 200
    assert problem_type(beside.get("/v2/pets?limit=99")) == "UNPROCESSABLE_ENTITY"
    assert problem_type(beside.get("/nowhere")) == "NO_PATH_MATCHED_ERROR"
    # an unknown path under a built-in prefix keeps the built-in 404
    assert beside.get("/pick-pack/acme/nothing", headers={"Authorization": "Bearer acme-all"}
                      ).status_code == 404
    assert beside.get("/").status_code == 200
    ops = [e["operationId"] for e in beside.get("/__admin/requests").json()["requests"]]
    assert ops == [None, None, "listPets", "listEvents", "GET /items", "listPets"]


def test_serve_spec_index_lists_the_user_specs_beside_the_built_in_ones(
        beside: TestClient) -> None:
    services = beside.get("/").json()["services"]
    users = {s["file"]: s for s in services if s["docs"] is None}
    assert set(users) == {str(SPECS / "pets20.yaml"), str(SPECS / "shop-a.yaml")}
    assert "/items" in users[str(SPECS / "shop-a.yaml")]["paths"]
    assert "/pets" in users[str(SPECS / "pets20.yaml")]["paths"]
    assert any(s["name"] == "pickpack" for s in services)  # the built-in ones stay
    page = beside.get("/", headers={"Accept": "text/html"}).text
    assert "none (user spec)" in page and "shop-a.yaml" in page


def test_serve_spec_fault_rules_reach_user_operations(beside: TestClient) -> None:
    rule = {"operationId": "createPet", "status": 400, "times": 1}
    assert beside.post("/__admin/faults", json=rule).status_code == 201
    assert beside.post("/pets", json={"id": 1, "name": "x"}).json() == {"error": "bad"}
    assert beside.post("/pets", json={"id": 1, "name": "x"}).status_code == 401
    assert beside.post("/__admin/faults", json={"operationId": "getPet", "status": 500}
                       ).status_code == 400


def test_serve_spec_flag_and_environment() -> None:
    parser = build_parser({})
    args = parser.parse_args(["serve", "--spec", "a.yaml", "--spec", "b.yaml"])
    assert settings_from(args, {}).user_specs == ("a.yaml", "b.yaml")
    args = parser.parse_args(["serve"])
    assert settings_from(args, {"SPECDOUBLE_SPEC": "a.yaml, b.yaml"}).user_specs == \
        ("a.yaml", "b.yaml")


def test_serve_spec_clash_with_a_built_in_is_one_line_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "mine.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
                    "  /oauth/token:\n    get:\n      responses: {'200': {description: ok}}\n")
    assert main(["serve", "--spec", str(spec), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"specdouble: cannot start: {spec}: GET /oauth/token clashes with "
                          "/oauth/token of the built-in service")
    assert "emporix-oauth.yaml" in err


def test_serve_spec_bad_spec_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--spec", str(SPECS / "broken.yaml"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.yaml" in err and "not valid YAML" in err


def test_serve_spec_faults_file_may_name_user_operations(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("- {operationId: getPet, delayMs: 1}\n")
    app = create_app(Settings(user_specs=(str(SPECS / "pets20.yaml"),), faults_file=faults))
    client = TestClient(app)
    assert [r["operationId"] for r in client.get("/__admin/faults").json()["faults"]] == \
        ["getPet"]
    assert client.get("/v2/pets/1").status_code == 200
    assert client.get("/__admin/requests").json()["requests"][0]["fault"] == "fault-1"
