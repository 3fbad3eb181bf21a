"""A test client on `specdouble mock`'s app for the small specs of tests/data/mock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app

SPECS = Path(__file__).resolve().parent.parent / "data" / "mock"
PRISM = "https://stoplight.io/prism/errors#"


def mock_client(*names: str, cors: bool = True, **options: Any) -> TestClient:
    app = create_mock_app([SPECS / name for name in names], Options(**options), cors=cors)
    return TestClient(app, base_url="http://127.0.0.1:4010")


def problem_type(response: Any) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["type"]).removeprefix(PRISM)
