"""The command line: help, defaults, environment variables, bad values."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from specdouble.cli import build_parser, main, refusal, settings_from


def parse(argv: list[str], env: dict[str, str] | None = None):
    env = env or {}
    args = build_parser(env).parse_args(argv)
    return settings_from(args, env)


def test_defaults() -> None:
    settings = parse(["serve"])
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.cors_origins == ("*",)
    assert settings.max_body == 1024 * 1024


def test_flags() -> None:
    settings = parse(["serve", "--host", "0.0.0.0", "--port", "9001", "--seed", "5",
                      "--cors-origin", "http://a.test", "--cors-origin", "http://b.test",
                      "--max-body", "2048", "--job-delay", "1.5", "--strict-saas-token",
                      "--check-responses"])
    assert settings.port == 9001 and settings.seed == 5 and settings.host == "0.0.0.0"
    assert settings.cors_origins == ("http://a.test", "http://b.test")
    assert settings.max_body == 2048 and settings.job_delay == 1.5
    assert settings.strict_saas_token and settings.check_responses


def test_environment_and_flag_precedence(tmp_path: Path) -> None:
    env = {"SPECDOUBLE_PORT": "9100", "SPECDOUBLE_HOST": "::1", "SPECDOUBLE_SEED": "3",
           "SPECDOUBLE_CORS_ORIGIN": "http://x.test,http://y.test",
           "SPECDOUBLE_FIXTURES": str(tmp_path)}
    settings = parse(["serve"], env)
    assert (settings.port, settings.host, settings.seed) == (9100, "::1", 3)
    assert settings.cors_origins == ("http://x.test", "http://y.test")
    assert settings.fixtures_dir == tmp_path
    assert parse(["serve", "--port", "9200"], env).port == 9200


@pytest.mark.parametrize("argv", [["serve", "--port", "70000"], ["serve", "--max-body", "0"],
                                  ["serve", "--fixtures", "/no/such/dir"],
                                  ["serve", "--job-delay", "-1"]])
def test_bad_values_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser({}).parse_args(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser({}).parse_args(["serve", "--help"])
    text = capsys.readouterr().out
    for option in ("--host", "--port", "--seed", "--fixtures", "--cors-origin", "--max-body",
                   "--job-delay", "SPECDOUBLE_"):
        assert option in text


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], {}) == 2
    assert "serve" in capsys.readouterr().out


def test_missing_auth_fixture_is_a_clear_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--fixtures", str(tmp_path), "--port", "0"], {}) == 2  # bad input
    assert "auth.yaml" in capsys.readouterr().err


def test_workers_on_memory_state_are_refused_with_the_way_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--workers", "2"], {}) == 2
    err = capsys.readouterr().err
    assert "--workers 2 needs --state-url" in err and "redis://" in err


def test_workers_on_an_unreachable_redis_stop_before_any_worker_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "redis://127.0.0.1:1/0"
    assert main(["serve", "--port", "0", "--workers", "4", "--state-url", url], {}) == 1
    err = capsys.readouterr().err
    assert err.startswith("specdouble: cannot start:") and url in err


def test_workers_default_is_one() -> None:
    assert build_parser({}).parse_args(["serve"]).workers == 1


# --- clear errors: one line naming the variable or flag, exit 2, before anything starts ---


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["serve", "--help"], ["serve"]])
@pytest.mark.parametrize(("variable", "value"), [
    ("SPECDOUBLE_PORT", "abc"), ("SPECDOUBLE_LOG_LEVEL", "verbose"),
    ("SPECDOUBLE_MAX_BODY", "lots"), ("SPECDOUBLE_SEED", "x"),
    ("SPECDOUBLE_CHECK_RESPONSES", "maybe"), ("SPECDOUBLE_FAULTS", "/no/such/faults.yaml"),
])
def test_a_bad_variable_is_one_line_naming_it(argv: list[str], variable: str, value: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv, {variable: value})
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"specdouble: error: {variable}=")
    assert "Traceback" not in err


def test_every_bad_variable_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser({"SPECDOUBLE_PORT": "abc", "SPECDOUBLE_LOG_LEVEL": "verbose"})
    err = capsys.readouterr().err
    assert "SPECDOUBLE_PORT=" in err and "SPECDOUBLE_LOG_LEVEL=" in err


def test_log_level_from_the_environment_is_checked_and_used() -> None:
    assert build_parser({"SPECDOUBLE_LOG_LEVEL": "debug"}).parse_args(["serve"]).log_level == (
        "debug")


def test_port_abc_says_invalid_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "abc"], {})
    assert exited.value.code == 2
    assert "argument --port: invalid port 'abc'" in capsys.readouterr().err


def test_a_port_in_use_is_found_before_seeding(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import specdouble.http.app

    def no_build(*args: object) -> None:
        raise AssertionError("the world was built although the port is taken")

    monkeypatch.setattr(specdouble.http.app, "build_runtime", no_build)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)], {}) == 1
    assert capsys.readouterr().err == f"specdouble: cannot start: port {port} is in use\n"


def test_specs_that_match_no_service_stop_the_start(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "petstore.yaml").write_text("openapi: 3.0.3\n")
    assert main(["serve", "--port", "0", "--specs", str(tmp_path)], {}) == 2
    err = capsys.readouterr().err
    assert err.startswith("specdouble: cannot start:") and str(tmp_path) in err
    assert "emporix-pick-pack.yaml" in err and "shopatron-order.yaml" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "mock.example"])
def test_a_non_loopback_host_needs_an_admin_token(host: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", host], {}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--host {host}" in err and "--admin-token" in err


@pytest.mark.parametrize(("argv", "env"), [
    (["serve", "--host", "0.0.0.0", "--admin-token", "s3cret"], {}),
    (["serve", "--host", "0.0.0.0"], {"SPECDOUBLE_ADMIN_TOKEN": "s3cret"}),
    (["serve", "--host", "0.0.0.0", "--allow-no-admin-token"], {}),
    (["serve", "--host", "0.0.0.0"], {"SPECDOUBLE_ALLOW_NO_ADMIN_TOKEN": "1"}),
    (["serve", "--host", "::1"], {}), (["serve", "--host", "localhost"], {}),
    (["serve", "--host", "127.0.0.2"], {}),
])
def test_a_token_the_opt_out_or_loopback_may_start(argv: list[str], env: dict[str, str]) -> None:
    assert refusal(build_parser(env).parse_args(argv)) is None
