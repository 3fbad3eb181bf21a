"""Schemathesis over our specs, in-process against the Connexion app.

One helper for every spec: the served spec of a fresh app, every check
enabled, positive and negative data, deterministic and bounded for CI.
``SPECDOUBLE_FUZZ_EXAMPLES`` raises the example count for deeper runs.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import schemathesis
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from specdouble.app import create_app

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

CI_EXAMPLES = int(os.environ.get("SPECDOUBLE_FUZZ_EXAMPLES", "25"))


def all_checks() -> list[Any]:
    """Every check Schemathesis has registered."""
    return list(CHECKS.get_all())


def load_schema(
    slug: str,
    *,
    headers: dict[str, str] | None = None,
    parameters: dict[str, Any] | None = None,
    checks: dict[str, Any] | None = None,
    operations: list[dict[str, Any]] | None = None,
    max_examples: int = CI_EXAMPLES,
    app: Any = None,
) -> OpenApiSchema:
    config = SchemathesisConfig.from_dict(
        {
            "headers": headers or {},
            "parameters": parameters or {},
            "checks": checks or {},
            "operations": operations or [],
            "generation": {"mode": "all", "max-examples": max_examples, "deterministic": True},
        }
    )
    return schemathesis.openapi.from_asgi(f"/specs/{slug}.json", app or create_app(),
                                          config=config)
