"""The admin API (``/__admin``): journal, faults, state, tenants; its own error shape."""

from __future__ import annotations

from typing import Any

from specdouble.support.problems import Problem
from specdouble.world.catalog import Service, reason_phrase


def admin_error(problem: Problem) -> dict[str, Any]:
    """``{status, error, message, details}``, as ``specs/admin.yaml`` documents."""
    return {
        "status": problem.status,
        "error": reason_phrase(problem.status),
        "message": problem.message,
        "details": list(problem.details),
    }


ADMIN = Service(
    name="admin",
    title="specdouble admin API (journal, faults, state, tenants)",
    spec_file="admin.yaml",
    prefixes=("/__admin",),
    handlers="specdouble.http.admin.handlers",
    error_shape=admin_error,
    internal=True,
)
