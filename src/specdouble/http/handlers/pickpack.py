"""Emporix Pick-pack handlers: parse the request, call the domain, respond."""

from __future__ import annotations

import asyncio
from typing import Any

from connexion.lifecycle import ConnexionResponse

from specdouble.domain import pickpack
from specdouble.domain.saas_token import customer_of
from specdouble.http.respond import header, json_response, no_content, principal
from specdouble.state.base import MAX_ATTEMPTS, TransactionConflict
from specdouble.support.clock import parse_lenient, utc_now
from specdouble.support.problems import bad_request
from specdouble.world.runtime import Runtime, get_runtime


async def add_assignee(
    tenant: str, order_id: str, body: dict[str, Any], force: bool = True
) -> ConnexionResponse:
    runtime = get_runtime()
    result = pickpack.add_assignee(runtime.store, tenant, order_id, body, force)
    return json_response(result)


async def delete_assignee(tenant: str, order_id: str, assignee_id: str) -> ConnexionResponse:
    pickpack.delete_assignee(get_runtime().store, tenant, order_id, assignee_id)
    return no_content()


async def list_events(
    tenant: str, timestamp: str | None = None, page_number: int = 0,
    page_size: int = pickpack.DEFAULT_PAGE_SIZE,
) -> ConnexionResponse:
    after = None
    if timestamp is not None:
        try:
            after = parse_lenient(timestamp)
        except ValueError:
            raise bad_request("Invalid timestamp.", f"query.timestamp: '{timestamp}' is not "
                              "a date-time like 2020-09-14T13:35:18Z") from None
    events = pickpack.list_events(get_runtime().store, tenant, after, page_number, page_size)
    return json_response(events)


async def create_event(tenant: str, body: dict[str, Any]) -> ConnexionResponse:
    runtime = get_runtime()
    now = utc_now()
    customer = customer_of(header("saas-token"), now,
                           runtime.settings.strict_saas_token)
    user = customer or principal().client_id or tenant
    return json_response(pickpack.create_event(runtime.store, tenant, body, user, now))


async def create_recalculation(tenant: str, body: dict[str, Any]) -> ConnexionResponse:
    runtime = get_runtime()
    delay = runtime.settings.job_delay
    result = pickpack.create_recalculation(
        runtime.store, tenant, body["jobType"], body.get("orderIds"), utc_now(),
        finish=delay <= 0,
    )
    if delay > 0:
        _finish_later(runtime, tenant, result["jobId"], delay)
    return json_response(result)


async def get_recalculation(tenant: str, job_id: str) -> ConnexionResponse:
    return json_response(pickpack.get_recalculation(get_runtime().store, tenant, job_id))


def _finish_later(runtime: Runtime, tenant: str, job_id: str, delay: float) -> None:
    """Finish the job after ``delay`` seconds, so polling clients see IN_PROGRESS."""

    async def finish() -> None:
        await asyncio.sleep(delay)
        for _ in range(MAX_ATTEMPTS):  # a shared store may make it lose a race
            if not runtime.store.has_tenant(tenant):
                return
            try:
                pickpack.finish_job(runtime.store, tenant, job_id, utc_now())
                return
            except TransactionConflict:
                continue
            except Exception:  # the tenant was reset meanwhile: nothing to finish
                return

    task = asyncio.get_running_loop().create_task(finish())
    runtime.tasks.add(task)
    task.add_done_callback(runtime.tasks.discard)
