"""The admin API's error shape: ``{status, error, message, details}``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from specdouble.http import errors
from specdouble.support.problems import Problem

STYLE = "admin"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def admin_error(problem: Problem) -> dict[str, Any]:
    return {
        "status": problem.status,
        "error": _phrase(problem.status),
        "message": problem.message,
        "details": list(problem.details),
    }


errors.register_style(STYLE, admin_error)
