"""Bad input to `specdouble mock`: one line naming file, place and reason; exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from specdouble.cli import main, prism_argv
from specdouble.spec.documents import SpecError, load_document
from tests.liveserver import spawned_workers, wait_gone
from tests.mock.helpers import SPECS, mock_client


def test_missing_info_is_served_with_a_warning() -> None:
    document = load_document(SPECS / "noinfo.yaml")
    assert any("'info' is missing" in w for w in document.warnings)
    assert mock_client("noinfo.yaml").get("/ping").json() == {"pong": True}


@pytest.mark.parametrize("name, words", [
    ("broken.yaml", ["broken.yaml", "line 3", "not valid YAML"]),
    ("badref.yaml", ["badref.yaml", "paths./a.get.responses.200", "#/components/schemas/Nope",
                     "cannot be resolved"]),
    ("reffile.yaml", ["reffile.yaml", "paths./a.get", "gone.yaml: no such file"]),
    ("absent.yaml", ["absent.yaml", "no such file"]),
])
def test_bad_spec_is_one_line_and_exit_2(name: str, words: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", str(SPECS / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_two_specs_that_clash_name_both(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", str(SPECS / "pets30.yaml"), str(SPECS / "clash.yaml")]) == 2
    err = capsys.readouterr().err
    assert "clash.yaml" in err and "pets30.yaml" in err and "GET /pets/{other}" in err


def test_port_in_use_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["mock", str(SPECS / "pets30.yaml"), "-p", str(port)]) == 2
    assert f"port {port} is in use" in capsys.readouterr().err


def test_prism_boolean_flags_are_understood() -> None:
    assert prism_argv(["mock", "--cors", "false", "a.yaml"]) == ["mock", "--cors=false", "a.yaml"]
    assert prism_argv(["mock", "--cors=false", "a.yaml"]) == ["mock", "--cors=false", "a.yaml"]
    assert prism_argv(["mock", "-d", "a.yaml", "--ignoreExamples"]) == \
        ["mock", "--dynamic=true", "a.yaml", "--ignore-examples=true"]
    assert prism_argv(["mock", "-m", "-h", "0.0.0.0"]) == \
        ["mock", "--multiprocess=true", "-h", "0.0.0.0"]


def test_help_lists_prism_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["mock", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--port", "--host", "--dynamic", "--errors", "--cors", "--seed",
                   "--ignore-examples", "--verboseLevel", "--state-url"):
        assert option in out


def test_spec_error_str_is_the_line(tmp_path: Path) -> None:
    spec = tmp_path / "x.json"
    spec.write_text('{"openapi": "3.0.0", "paths": {')
    with pytest.raises(SpecError, match=r"x.json: line 1, column \d+: not valid JSON"):
        load_document(spec)


@pytest.mark.parametrize("flags, workers", [([], 1), (["-m"], 2), (["--multiprocess=false"], 1),
                                            (["--workers", "3"], 3)])
def test_multiprocess_and_workers_reach_the_server(flags: list[str], workers: int,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import specdouble.http.mock as mock_module

    seen: dict[str, object] = {}

    def fake_serve(app, host, port, level, banner, workers=1, factory=None, limits=None):  # type: ignore[no-untyped-def]
        seen.update(host=host, port=port, workers=workers, level=level)
        assert factory is not None and factory().mocker.served() == app.mocker.served()
        banner(port)

    monkeypatch.setattr(mock_module, "serve_mock", fake_serve)
    assert main(["mock", str(SPECS / "pets30.yaml"), "-p", "4199", "-v", "warn", *flags]) == 0
    assert seen == {"host": "127.0.0.1", "port": 4199, "workers": workers, "level": "warning"}
    out = capsys.readouterr().out
    assert "GET     http://127.0.0.1:4199/pets  (listPets)" in out
    assert "GET     http://127.0.0.1:4199/api/v1/pets/{petId}  (getPet)" in out


def test_an_undeclared_security_scheme_is_a_warning_and_not_checked() -> None:
    document = load_document(SPECS / "undeclared.yaml")
    assert any("'ghost' is not declared" in w for w in document.warnings)
    assert mock_client("undeclared.yaml").get("/open").status_code == 200


def test_specs_sharing_a_path_under_different_base_paths_both_serve() -> None:
    client = mock_client("shop-a.yaml", "shop-b.yaml")
    assert client.get("/a/items").json() == ["a"]
    assert client.get("/b/items").json() == ["b"]
    assert client.get("/items").json() == ["a"]  # as written: the first spec
    assert any("shop-b.yaml" in w for w in client.app.mocker.warnings)  # type: ignore[attr-defined]


def test_a_spec_by_url_on_loopback_with_refs_to_other_files() -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(SPECS)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pets31.yaml"
        document = load_document(url)
        assert document.source == url and document.title == "Pets31"
        getter = next(op for op in document.operations if op.operation_id == "getThing")
        assert "code" in getter.responses["2XX"]["content"]["application/json"]["schema"][
            "properties"]  # from ./common.yaml, fetched from the same server
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_off_this_machine_is_refused_without_fetching() -> None:
    with pytest.raises(SpecError, match=r"only URLs on 127\.0\.0\.1"):
        load_document("http://example.com/openapi.yaml")


@contextmanager
def _mock_process(*flags: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``specdouble mock FLAGS pets30.yaml`` as its own process, once it listens; the
    process and its base URL. Stopped (SIGTERM) afterwards unless the test did."""
    from tests.redisserver import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "specdouble", "mock", *flags,
                                "-p", str(port), str(SPECS / "pets30.yaml")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while process.stdout is not None:
            line = process.stdout.readline()
            assert line, "the mock stopped before listening"
            if "is listening on" in line:
                break
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=20)


def test_mock_bounds_what_one_client_may_send_as_serve_does() -> None:
    """`specdouble mock` on a real socket: a request with 70 KB of headers is a 431."""
    with _mock_process() as (_, base):
        assert httpx.get(f"{base}/pets").status_code == 200
        refused = httpx.get(f"{base}/pets", headers={"X-Big": "a" * (70 * 1024)})
        assert refused.status_code == 431
        assert refused.headers["connection"] == "close"


def test_mock_workers_stop_when_their_supervisor_is_killed() -> None:
    """A SIGKILLed ``mock -m`` leaves no orphan worker holding the port."""
    with _mock_process("-m") as (process, base):
        workers = spawned_workers(process.pid)
        assert len(workers) == 2
        assert httpx.get(f"{base}/pets").status_code == 200
        process.kill()
    wait_gone(workers)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/pets", timeout=2)
