"""The command line: help, defaults, environment variables, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from specdouble.cli import build_parser, main, settings_from


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
    assert main(["serve", "--fixtures", str(tmp_path), "--port", "0"], {}) == 1
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
