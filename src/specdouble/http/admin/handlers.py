"""The /__admin routes: one small function per operation of specs/admin.yaml.

Like WireMock's admin tasks, each reads the runtime, does one thing, and
answers JSON; errors are Problems rendered in the admin shape.
"""

from __future__ import annotations

import asyncio
from typing import Any

from connexion.lifecycle import ConnexionResponse

from specdouble import __version__
from specdouble.http.respond import json_response, no_content
from specdouble.support.problems import not_found
from specdouble.world import tenants
from specdouble.world.journal import Filter
from specdouble.world.runtime import get_runtime

# --- server ---------------------------------------------------------------------------

async def get_health() -> ConnexionResponse:
    runtime = get_runtime()
    # A shared store that lost the world is restored here too, should no request
    # have run into it yet (off the loop: it may wait for another worker's lease).
    await asyncio.to_thread(tenants.check_world, runtime)
    return json_response({
        "status": "ok",
        "version": __version__,
        "seed": runtime.settings.seed,
        "tenants": runtime.store.tenants(),
        "journal": {"entries": len(runtime.journal), "capacity": runtime.journal.size},
        "faults": len(runtime.faults),
        "worldLosses": tenants.losses(runtime),
    })


# Seeding and loading a tenant take CPU for a second or so: they run in a worker thread
# (the stores are thread-safe), so every other client is still answered meanwhile.

async def reset_state(tenant: str | None = None) -> ConnexionResponse:
    return json_response({"reset": await asyncio.to_thread(tenants.reset, get_runtime(),
                                                           tenant)})


# --- journal --------------------------------------------------------------------------

async def list_requests(
    operation_id: str | None = None, method: str | None = None, path: str | None = None,
    status: int | None = None, tenant: str | None = None, limit: int | None = None,
) -> ConnexionResponse:
    journal = get_runtime().journal
    where = Filter(operation_id=operation_id, method=method, path=path, status=status,
                   tenant=tenant)
    entries = journal.entries(where, limit)
    return json_response({"requests": [e.to_json() for e in entries], "count": len(entries),
                          "capacity": journal.size})


async def clear_requests() -> ConnexionResponse:
    get_runtime().journal.clear()
    return no_content()


# --- faults ---------------------------------------------------------------------------

async def create_fault(body: dict[str, Any]) -> ConnexionResponse:
    runtime = get_runtime()
    rule = runtime.faults.create(body, runtime.mocked_statuses())
    return json_response(rule.to_json(), status=201)


async def list_faults() -> ConnexionResponse:
    return json_response({"faults": [r.to_json() for r in get_runtime().faults.list()]})


async def clear_faults() -> ConnexionResponse:
    get_runtime().faults.clear()
    return no_content()


async def delete_fault(id_: str) -> ConnexionResponse:
    if not get_runtime().faults.delete(id_):
        raise not_found(f"No fault rule '{id_}'.", resource_id=id_)
    return no_content()


# --- state ----------------------------------------------------------------------------

async def export_state(tenant: str) -> ConnexionResponse:
    runtime = get_runtime()
    tenants.require(runtime, tenant)
    return json_response({"tenant": tenant, "collections": runtime.store.export_tenant(tenant)})


async def import_state(tenant: str, body: dict[str, Any]) -> ConnexionResponse:
    runtime = get_runtime()
    tenants.require(runtime, tenant)
    data = runtime.check_state(body)
    await asyncio.to_thread(runtime.store.load_tenant, tenant, data)
    return json_response({"tenant": tenant,
                          "records": {name: len(items) for name, items in data.items()}})


async def list_outbox(tenant: str | None = None) -> ConnexionResponse:
    runtime = get_runtime()
    if tenant is not None:
        tenants.require(runtime, tenant)
    emails = []
    for name in [tenant] if tenant else runtime.store.tenants():
        with runtime.store.transaction(name) as tx:
            for outbox in runtime.catalog.outboxes():
                emails += [{"tenant": name, **email} for email in tx.values(outbox)]
    emails.sort(key=lambda e: str(e.get("sentAt", "")))
    return json_response({"emails": emails})


# --- tenants --------------------------------------------------------------------------

async def create_tenant(body: dict[str, Any]) -> ConnexionResponse:
    runtime = get_runtime()
    credentials = await asyncio.to_thread(tenants.create, runtime, body["name"],
                                          body.get("seed"))
    return json_response({**tenants.summary(runtime, body["name"]), **credentials},
                         status=201)


async def list_tenants() -> ConnexionResponse:
    runtime = get_runtime()
    return json_response({"tenants": [tenants.summary(runtime, t)
                                      for t in runtime.store.tenants()]})


async def delete_tenant(name: str) -> ConnexionResponse:
    await asyncio.to_thread(tenants.drop, get_runtime(), name)
    return no_content()
