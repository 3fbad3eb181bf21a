"""The edge's view of a request before routing: operation, tenant, guard, drops."""

from __future__ import annotations

import asyncio

import pytest

from specdouble.http.admin.guard import check
from specdouble.http.observe import ConnectionDropped, drop_connection, observe
from specdouble.spec.loader import OperationIndex
from specdouble.world.runtime import Runtime


@pytest.mark.parametrize(("method", "path", "operation_id", "params"), [
    ("GET", "/pick-pack/acme/events", "listEvents", {"tenant": "acme"}),
    ("POST", "/pick-pack/globex/orders/123/assignees", "addAssignee",
     {"tenant": "globex", "orderId": "123"}),
    ("POST", "/api/v2/order/action/assign", "assignOrder", {}),
    ("POST", "/oauth/token", "issueToken", {}),
])
def test_index_finds_the_operation(runtime: Runtime, method: str, path: str,
                                   operation_id: str, params: dict) -> None:
    found = OperationIndex(runtime.specs).find(method, path)
    assert found is not None
    route, got = found
    assert route.operation_id == operation_id and got == params


@pytest.mark.parametrize(("method", "path"), [
    ("PATCH", "/pick-pack/acme/events"),
    ("GET", "/pick-pack/acme/events/extra"),
    ("GET", "/nowhere"),
])
def test_index_finds_nothing(runtime: Runtime, method: str, path: str) -> None:
    assert OperationIndex(runtime.specs).find(method, path) is None


def test_observation_ignores_the_admin_api(runtime: Runtime) -> None:
    scope = {"type": "http", "method": "GET", "path": "/__admin/health", "headers": []}
    assert observe(runtime, scope, None).route is None  # type: ignore[arg-type]


def test_tenant_from_path_else_token(runtime: Runtime) -> None:

    def tenant_of(path: str, token: str | None) -> str | None:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
        return observe(runtime, scope, None).tenant  # type: ignore[arg-type]

    assert tenant_of("/pick-pack/globex/events", "acme-all") == "globex"
    assert tenant_of("/api/v2/order/action/assign", "shopatron-test") == "acme"
    assert tenant_of("/api/v2/order/action/assign", "unknown") is None
    assert tenant_of("/api/v2/order/action/assign", None) is None


def test_drop_without_a_transport_raises() -> None:
    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    with pytest.raises(ConnectionDropped):
        asyncio.run(drop_connection(receive, reset=True))


def test_guard_decisions() -> None:
    local = {"client": ("127.0.0.1", 1), "headers": []}
    remote = {"client": ("203.0.113.9", 1), "headers": []}
    with_token = {"client": ("203.0.113.9", 1), "headers": [(b"authorization", b"Bearer k")]}
    assert check(local, None) is None
    assert check(remote, None).status == 403  # type: ignore[union-attr]
    assert check(local, "k").status == 401  # type: ignore[union-attr]
    assert check(with_token, "k") is None
    assert check(with_token, "other").status == 401  # type: ignore[union-attr]
