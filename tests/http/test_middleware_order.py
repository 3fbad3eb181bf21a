"""The middleware stack: its exact order, and that Connexion serves that very list."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.http import app as app_module
from specdouble.http.app import create_app, middleware_stack
from specdouble.support.settings import Settings

BEFORE_CHECK = ["ServerErrorMiddleware", "RuntimeMiddleware", "JournalMiddleware"]
AFTER_CHECK = [
    "SplitCORSMiddleware",
    "BodyLimitMiddleware",
    "ContentTypeMiddleware",
    "ExceptionMiddleware",
    "AdminGuardMiddleware",
    "FaultMiddleware",
    "SwaggerUIMiddleware",
    "NoSlashRedirectMiddleware",
    "RoutingMiddleware",
    "PreferMiddleware(early)",
    "SecurityMiddleware",
    "RequestValidationMiddleware",
    "ResponseValidationMiddleware",
    "LifespanMiddleware",
    "PreferMiddleware(late)",
]
INNERMOST = ["ContextMiddleware"]


def name(layer: Any) -> str:
    """The class of a layer, and which of the two ``Prefer`` passes it is."""
    cls = layer.func if isinstance(layer, partial) else layer
    if isinstance(layer, partial) and "early" in layer.keywords:
        return f"{cls.__name__}({'early' if layer.keywords['early'] else 'late'})"
    return cls.__name__


@pytest.fixture(scope="module")
def served() -> Any:
    return create_app(Settings())


def test_default_order(served: Any) -> None:
    layers = middleware_stack(Settings(), served.runtime)
    assert [name(layer) for layer in layers] == BEFORE_CHECK + AFTER_CHECK + INNERMOST


def test_response_checking_goes_right_after_the_journal(served: Any) -> None:
    layers = middleware_stack(Settings(check_responses=True), served.runtime)
    assert [name(layer) for layer in layers] == (
        [*BEFORE_CHECK, "ResponseCheckMiddleware", *AFTER_CHECK, *INNERMOST]
    )


def test_a_shared_store_retries_conflicts_just_inside_the_handlers(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "is_shared", lambda store: True)
    layers = middleware_stack(Settings(check_responses=True), served.runtime)
    assert [name(layer) for layer in layers] == (
        [*BEFORE_CHECK, "ResponseCheckMiddleware", *AFTER_CHECK,
         "ConflictRetryMiddleware", *INNERMOST]
    )


def test_connexion_serves_that_list() -> None:
    """The app is given the list, and the stack it builds wraps in that order."""
    served = create_app(Settings(check_responses=True))
    expected = [name(layer) for layer in middleware_stack(Settings(check_responses=True),
                                                           served.runtime)]
    assert [name(layer) for layer in served.middleware.middlewares] == expected
    with TestClient(served) as client:
        assert client.get("/").status_code == 200
    built = list(served.middleware.middleware_stack)
    assert [type(layer).__name__ for layer in built[:-1]] == [
        entry.split("(")[0] for entry in expected
    ]
