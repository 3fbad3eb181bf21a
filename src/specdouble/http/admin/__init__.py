"""The admin API (``/__admin``, specs/admin.yaml): handlers resolved by operationId."""

from __future__ import annotations

from specdouble.http.admin import shape  # noqa: F401  (registers the "admin" error shape)
from specdouble.http.admin.handlers import (
    clear_faults,
    clear_requests,
    create_fault,
    create_tenant,
    delete_fault,
    delete_tenant,
    export_state,
    get_health,
    import_state,
    list_faults,
    list_outbox,
    list_requests,
    list_tenants,
    reset_state,
)

__all__ = [
    "clear_faults", "clear_requests", "create_fault", "create_tenant", "delete_fault",
    "delete_tenant", "export_state", "get_health", "import_state", "list_faults",
    "list_outbox", "list_requests", "list_tenants", "reset_state",
]
