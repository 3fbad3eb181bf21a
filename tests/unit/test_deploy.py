"""deploy/docker-compose.yml: the settings that keep a deployed mock safe and durable."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[2] / "deploy" / "docker-compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_admin_token_is_required_not_a_shipped_default() -> None:
    """The mock binds 0.0.0.0: compose refuses to start until the user sets a token."""
    token = _services()["mock"]["environment"]["SPECDOUBLE_ADMIN_TOKEN"]
    assert re.fullmatch(r"\$\{SPECDOUBLE_ADMIN_TOKEN:\?[^}]+\}", token), token


def test_redis_keeps_an_append_only_file() -> None:
    """Without persistence a restarted Redis comes back empty and the world is reseeded."""
    command = _services()["redis"]["command"]
    pairs = dict(zip(command[1::2], command[2::2], strict=False))
    assert pairs["--appendonly"] == "yes"
    assert pairs["--appendfsync"] == "everysec"
