"""``--faults`` and ``--state`` files: loaded at start, or a clear reason not to start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from specdouble.cli import build_parser, main, settings_from
from specdouble.http.app import create_app
from specdouble.support.settings import Settings


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_flags_and_environment_reach_the_settings(tmp_path: Path) -> None:
    faults = write(tmp_path, "f.json", [])
    env = {"SPECDOUBLE_ADMIN_TOKEN": "t0k", "SPECDOUBLE_JOURNAL_SIZE": "5"}
    args = build_parser(env).parse_args(["serve", "--faults", str(faults),
                                         "--journal-body-limit", "64"])
    settings = settings_from(args, env)
    assert (settings.admin_token, settings.journal_size, settings.journal_body_limit) == (
        "t0k", 5, 64)
    assert settings.faults_file == faults and settings.state_file is None


def test_faults_file_yaml_and_listed_form(tmp_path: Path) -> None:
    listed = {"faults": [{"id": "fault-9", "operationId": "listEvents", "method": None,
                          "path": None, "tenant": None, "status": 500, "delayMs": 0,
                          "fault": None, "probability": 1, "times": None, "remaining": None,
                          "hits": 3}]}
    for path in (write(tmp_path, "f.json", listed),
                 write(tmp_path, "f.yaml", "- {operationId: listEvents, status: 500}\n")):
        app = create_app(Settings(faults_file=path))
        with TestClient(app) as client:
            (rule,) = client.get("/__admin/faults").json()["faults"]
            assert (rule["operationId"], rule["status"], rule["hits"]) == ("listEvents", 500, 0)
            response = client.get("/pick-pack/acme/events",
                                  headers={"Authorization": "Bearer acme-all"})
            assert response.status_code == 500


@pytest.mark.parametrize(("content", "reason"), [
    ("{not: [valid", "not JSON or YAML"),
    ({"operationId": "listEvents"}, "expected a list of fault rules"),
    ([{"operationId": "listEvents", "status": 409}],
     "rule [0]: Invalid fault rule. body.status: listEvents does not document 409"),
    ([{"status": 500}, {"fault": "boom"}], "rule [1]"),
    ([{"fault": "boom"}, {"status": 500}, {"method": "FETCH"}],
     "2 bad rules:\n  .*rule [0]: .*body.fault.*\n  .*rule [2]: .*body.method"),
])
def test_bad_faults_file_stops_the_start(tmp_path: Path, content: object, reason: str) -> None:
    path = write(tmp_path, "faults.json", content)
    with pytest.raises(ValueError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        create_app(Settings(faults_file=path))


def test_state_file_imports_and_creates_tenants(tmp_path: Path) -> None:
    source = create_app(Settings())
    exported = source.runtime.store.export_tenant("acme")  # type: ignore[attr-defined]
    path = write(tmp_path, "s.json", [{"tenant": "globex", "collections": exported},
                                      {"tenant": "newco", "collections": exported}])
    app = create_app(Settings(state_file=path))
    store = app.runtime.store  # type: ignore[attr-defined]
    assert store.export_tenant("globex") == exported
    assert store.export_tenant("newco") == exported
    with TestClient(app) as client:
        assert client.get("/pick-pack/newco/events",
                          headers={"Authorization": "Bearer newco-all"}).status_code == 200
        # a reset goes back to the start state: the file's data, not the seed's
        client.put("/__admin/state/globex", json={"collections": {}})
        assert client.post("/__admin/reset").status_code == 200
        assert store.export_tenant("globex") == exported
        assert store.export_tenant("newco") == exported


@pytest.mark.parametrize(("content", "reason"), [
    ({"collections": {}}, "needs a 'tenant' name"),
    ({"tenant": "Bad Name", "collections": {}}, "is not a tenant name"),
    ({"tenant": "acme", "collections": {"cm.customers": {"c1": {"id": 1}}}},
     "collections.cm.customers.c1.id: 1 is not of type 'string'"),
])
def test_bad_state_file_stops_the_start(tmp_path: Path, content: object, reason: str) -> None:
    path = write(tmp_path, "state.json", content)
    with pytest.raises(ValueError, match=reason):
        create_app(Settings(state_file=path))


def test_cli_prints_why_it_cannot_start(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "faults.json", [{"fault": "boom"}])
    assert main(["serve", "--port", "0", "--faults", str(path)], env={}) == 2  # bad input
    err = capsys.readouterr().err
    assert "cannot start" in err and str(path) in err and "body.fault" in err


def test_cli_refuses_a_missing_file(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--state", "/nonexistent/state.json"], env={})
    assert "no such file" in capsys.readouterr().err
