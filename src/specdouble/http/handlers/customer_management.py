"""Emporix Customer Management handlers: parse the request, call the domain, respond.

Connexion passes query parameters by their pythonic names: ``legalEntity.id``
arrives as ``legal_entityid``, ``customer.id`` as ``customerid`` and ``type``
as ``type_`` (it shadows a builtin). Headers are not passed, so
``X-Total-Count`` is read from the request (``respond.header``).
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionResponse

from specdouble.domain import contacts
from specdouble.http.respond import header, json_response, no_content
from specdouble.support.clock import utc_now
from specdouble.world.runtime import get_runtime


async def list_contact_assignments(
    tenant: str,
    page_number: int = 1,
    page_size: int = contacts.DEFAULT_PAGE_SIZE,
    sort: str | None = None,
    q: str | None = None,
    fields: str | None = None,
    legal_entityid: str | None = None,
    customerid: str | None = None,
    type_: str | None = None,
    primary: bool | None = None,
) -> ConnexionResponse:
    params = contacts.ListParams(
        page_number=page_number,
        page_size=page_size,
        sort=sort,
        q=q,
        fields=fields,
        legal_entity_id=legal_entityid,
        customer_id=customerid,
        type=type_,
        primary=primary,
    )
    page = contacts.list_assignments(get_runtime().store, tenant, params)
    wants_total = (header("X-Total-Count") or "").strip().lower() == "true"
    headers = {"X-Total-Count": str(page.total)} if wants_total else None
    return json_response(page.items, headers=headers)


async def create_contact_assignment(tenant: str, body: dict[str, Any]) -> ConnexionResponse:
    created = contacts.create_assignment(get_runtime().store, tenant, body, utc_now())
    return json_response(created, status=201)


async def get_contact_assignment(
    tenant: str, contact_assignment_id: str, fields: str | None = None
) -> ConnexionResponse:
    store = get_runtime().store
    return json_response(contacts.get_assignment(store, tenant, contact_assignment_id, fields))


async def upsert_contact_assignment(
    tenant: str, contact_assignment_id: str, body: dict[str, Any]
) -> ConnexionResponse:
    store = get_runtime().store
    result = contacts.upsert_assignment(store, tenant, contact_assignment_id, body, utc_now())
    if result.created:
        return json_response({"id": result.id}, status=201)
    return no_content()


async def delete_contact_assignment(tenant: str, contact_assignment_id: str) -> ConnexionResponse:
    contacts.delete_assignment(get_runtime().store, tenant, contact_assignment_id)
    return no_content()
