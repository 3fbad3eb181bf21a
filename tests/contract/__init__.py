"""The Schemathesis suite: every served spec, in-process against the Connexion app.

One module per spec in this package, one helper for all of them: the served
spec of a fresh app, every check enabled, positive and negative data (and
the stateful run where a spec carries links), deterministic and bounded for
CI. Each run has a ``_long`` twin marked ``fuzz`` that searches deeper
(``FUZZ_EXAMPLES``): ``pytest -m fuzz tests/contract`` runs those, and
``SPECDOUBLE_FUZZ_EXAMPLES=500 pytest -m fuzz tests/contract`` deeper still.
``test_teeth.py`` proves a broken handler fails it; ``test_every_spec_is_covered.py``
that no served spec is left out.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import schemathesis
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from specdouble.http.app import create_app

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

# Examples per operation: bounded in the normal run; the ``fuzz`` twins use FUZZ_EXAMPLES.
CI_EXAMPLES = 10
FUZZ_EXAMPLES = int(os.environ.get("SPECDOUBLE_FUZZ_EXAMPLES", "100"))


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
