"""Loading the hand-written fixture files (YAML) from a fixtures folder.

``auth.yaml`` holds tenants, static tokens and OAuth clients;
``<service>.yaml`` holds a service's well-known records per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Fixtures:
    auth: dict[str, Any]
    services: dict[str, dict[str, Any]]

    @property
    def tenants(self) -> list[str]:
        return list(self.auth.get("tenants", []))


def load_fixtures(folder: Path, services: list[str]) -> Fixtures:
    """Read ``auth.yaml`` (required) and each ``<service>.yaml`` that exists."""
    auth_file = folder / "auth.yaml"
    if not auth_file.is_file():
        raise FileNotFoundError(f"fixtures folder {folder} has no auth.yaml")
    auth = _read(auth_file)
    per_service = {}
    for service in services:
        path = folder / f"{service}.yaml"
        per_service[service] = _read(path) if path.is_file() else {}
    return Fixtures(auth=auth, services=per_service)


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        content = yaml.safe_load(handle) or {}
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return content
