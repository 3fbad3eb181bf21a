"""Every error body the server sends is built here, in its service's shape.

The domain and the HTTP plumbing raise :class:`~specdouble.support.problems.Problem`
(or Connexion raises its own problems, translated here); ``render`` turns a
Problem into bytes in the shape of the service that owns the request path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from specdouble.state.base import StoreUnavailable
from specdouble.support.jsonparse import dumps
from specdouble.support.problems import Problem
from specdouble.world import auth, journal
from specdouble.world.catalog import style_for_path
from specdouble.world.runtime import get_runtime

log = logging.getLogger("specdouble.errors")

JSON = "application/json"

# Pick-pack `errorMessage.message` is a lower-case classification.
_CLASSIFICATION = {
    400: "validation_failure",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "service_unavailable",
}

# Shopatron OMS codes and names by HTTP status, and names by code.
_OMS_BY_STATUS = {400: 5003, 401: 5004, 403: 5004, 404: 5002, 405: 5005, 500: 5006, 503: 5001}
OMS_NAMES = {
    5000: "GENERIC_OK",
    5001: "GENERIC_UNAVAILABLE",
    5002: "GENERIC_NOT_FOUND",
    5003: "GENERIC_BAD_REQUEST",
    5004: "GENERIC_NOT_AUTHORIZED",
    5005: "GENERIC_NOT_ALLOWED",
    5006: "GENERIC_SERVER_ERROR",
    5010: "MISSING_QUERY_PARAM",
    5011: "MISSING_REQUEST_DATA",
    5012: "ID_MISMATCH",
    5013: "INVALID_ID",
    5014: "INVALID_QUERY_PARAM",
    5015: "INVALID_REQUEST_DATA",
}

_OAUTH_ERRORS = {400: "invalid_request", 401: "invalid_client", 413: "invalid_request",
                 415: "invalid_request", 500: "server_error"}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _with_details(problem: Problem) -> str:
    """One sentence of text: the message, then each detail, so the two never run together.

    Messages such as "Malformed JSON at line 2, column 5: Expecting value" end without
    a full stop; without one the first detail would read as part of the message.
    """
    text = problem.message
    if not problem.details:
        return text
    if not text.endswith((".", "!", "?", ":")):
        text += "."
    return f"{text} " + "; ".join(problem.details)


def _emporix_auth_body(problem: Problem) -> dict[str, Any] | None:
    """The Apigee fault (401) and the scope body (403) shared by all Emporix services."""
    if problem.status == 401:
        if problem.kind == auth.EXPIRED_TOKEN:
            text, code = "Access Token expired", "keymanagement.service.access_token_expired"
        else:
            text, code = "Invalid access token", "oauth.v2.InvalidAccessToken"
        return {"fault": {"faultstring": text, "detail": {"errorcode": code}}}
    if problem.status == 403:
        return {
            "code": 403,
            "status": "Forbidden",
            "message": problem.message,
            "details": list(problem.details),
        }
    return None


def _pickpack(problem: Problem) -> dict[str, Any]:
    body = _emporix_auth_body(problem)
    if body is not None:
        return body
    detail = _with_details(problem)
    kind = problem.kind if problem.kind in _CLASSIFICATION.values() else None
    return {
        "code": problem.status,
        "message": kind or _CLASSIFICATION.get(problem.status, "error"),
        "detailInfo": detail,
    }


def _emporix(problem: Problem) -> dict[str, Any]:
    body = _emporix_auth_body(problem)
    if body is not None:
        return body
    body = {
        "code": problem.status,
        "status": _phrase(problem.status),
        "message": problem.message,
        "details": list(problem.details),
    }
    if problem.resource_id is not None:
        body["resourceId"] = problem.resource_id
    return body


def _oauth(problem: Problem) -> dict[str, Any]:
    if problem.kind in {auth.INVALID_CLIENT, auth.INVALID_SCOPE, auth.UNSUPPORTED_GRANT}:
        error = str(problem.kind)
    elif any(d.startswith("body.grant_type:") and not d.endswith(": is required")
             for d in problem.details):
        error = auth.UNSUPPORTED_GRANT  # a missing grant_type is invalid_request (RFC 6749 5.2)
    else:
        error = _OAUTH_ERRORS.get(problem.status, "invalid_request")
    return {"error": error, "error_description": _with_details(problem)}


def _shopatron(problem: Problem) -> dict[str, Any]:
    code = problem.oms_code or _OMS_BY_STATUS.get(
        problem.status, 5003 if problem.status < 500 else 5006
    )
    return {
        "status": problem.status,
        "code": code,
        "error": OMS_NAMES.get(code, "GENERIC_BAD_REQUEST"),
        "message": problem.message,
        "details": list(problem.details),
    }


_RENDERERS: dict[str, Callable[[Problem], dict[str, Any]]] = {
    "pickpack": _pickpack,
    "emporix": _emporix,
    "oauth": _oauth,
    "shopatron": _shopatron,
}


def register_style(name: str, renderer: Callable[[Problem], dict[str, Any]]) -> None:
    """Let another part of the app (e.g. the admin API) add its error shape."""
    _RENDERERS[name] = renderer


def render_body(problem: Problem, style: str) -> bytes:
    return dumps(_RENDERERS[style](problem))


def render(problem: Problem, path: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for ``problem`` on a request to ``path``."""
    headers = {"Content-Type": JSON, **problem.headers}
    if problem.status == 401 and style_for_path(path) in ("pickpack", "emporix"):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="emporix"')
    return problem.status, headers, render_body(problem, style_for_path(path))


def to_response(problem: Problem, path: str) -> ConnexionResponse:
    status, headers, body = render(problem, path)
    return ConnexionResponse(status_code=status, body=body, headers=headers, mimetype=JSON)


# --- translating what Connexion raises into Problems ---------------------------------

def from_connexion(exc: ProblemException) -> Problem:
    """A Connexion problem (validation, 404, 405, 415, auth) as our Problem."""
    details = list(getattr(exc, "details", None) or [])
    status = exc.status or 500
    message = str(exc.detail or exc.title or _phrase(status))
    headers = dict(getattr(exc, "headers", None) or {})
    kind = None
    if status == 401:
        kind = auth.INVALID_TOKEN
    elif status == 405:
        message = "The method is not allowed for the requested URL."
    elif status == 404 and not exc.detail:
        message = "The requested URL was not found on this server."
    elif status == 415 and not details:
        details = ["header.Content-Type: not a media type this operation accepts"]
    return Problem(status, message, details, kind=kind, headers=headers)


async def handle_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Our own Problems, raised anywhere below the middleware."""
    assert isinstance(exc, Problem)
    return to_response(exc, request.scope["path"])


async def handle_connexion_problem(
    request: ConnexionRequest, exc: Exception
) -> ConnexionResponse:
    """Connexion's problems; a 400/415 is a failed validation, noted in the journal."""
    assert isinstance(exc, ProblemException)
    problem = from_connexion(exc)
    if problem.status in (400, 415):
        journal.mark(validation_errors=problem.details or [problem.message])
    return to_response(problem, request.scope["path"])


async def handle_http_status(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """404 and 405 from routing (Starlette HTTPException)."""
    status = int(getattr(exc, "status_code", 500))
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 405:
        message = "The method is not allowed for the requested URL."
        documented = get_runtime().operations.allowed_methods(request.scope["path"])
        if documented:
            headers["Allow"] = ", ".join(documented)
    elif status == 404:
        malformed = get_runtime().operations.unroutable(request.scope["path"])
        if malformed:
            journal.mark(validation_errors=malformed)
            return to_response(Problem(400, "The request parameters are invalid.", malformed),
                               request.scope["path"])
        message = f"No operation is mocked at {request.scope['path']}."
    else:
        message = str(getattr(exc, "detail", "") or _phrase(status))
    return to_response(Problem(status, message, headers=headers), request.scope["path"])


def store_unavailable(err: StoreUnavailable) -> Problem:
    """The one documented answer while the state store is unreachable: a 500 naming it."""
    return Problem(500, "The mock's state store (Redis) is unreachable.", [f"state: {err}"])


async def handle_store_unavailable(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, StoreUnavailable)
    return to_response(store_unavailable(exc), request.scope["path"])


async def handle_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Anything else: the documented 500 body, never a traceback."""
    if isinstance(exc, Problem):
        return await handle_problem(request, exc)
    if isinstance(exc, ProblemException):
        return await handle_connexion_problem(request, exc)
    if isinstance(exc, StoreUnavailable):
        return await handle_store_unavailable(request, exc)
    log.exception("unexpected error on %s %s", request.method, request.scope["path"], exc_info=exc)
    problem = Problem(500, "An unexpected error occurred in the mock server.",
                      [f"{type(exc).__name__}: {exc}"])
    return to_response(problem, request.scope["path"])
