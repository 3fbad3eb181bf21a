"""Every error body the server sends is built here, in its service's shape.

The domain and the HTTP plumbing raise :class:`~specdouble.support.problems.Problem`
(or Connexion raises its own problems, translated here); ``render`` turns a
Problem into bytes in the shape of the service that owns the request path.
"""

from __future__ import annotations

import logging

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from specdouble.state.base import StoreUnavailable
from specdouble.support.jsonparse import dumps
from specdouble.support.problems import Problem
from specdouble.world import auth, journal
from specdouble.world.catalog import problem_details, reason_phrase
from specdouble.world.runtime import get_runtime

log = logging.getLogger("specdouble.errors")

JSON = "application/json"


def render(problem: Problem, path: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for ``problem`` on a request to ``path``.

    The body has the error shape of the service that owns ``path`` (the
    catalog's fallback elsewhere); a 401 of a service that checks bearer
    tokens carries its realm's challenge.
    """
    service = get_runtime().catalog.shape_for_path(path)
    headers = {"Content-Type": JSON, **problem.headers}
    if (problem.status == 401 and service is not None and service.check_token is not None
            and service.realm is not None and service.realm.www_authenticate):
        headers.setdefault("WWW-Authenticate", service.realm.www_authenticate)
    shape = service.error_shape if service is not None else problem_details
    return problem.status, headers, dumps(shape(problem))


def to_response(problem: Problem, path: str) -> ConnexionResponse:
    status, headers, body = render(problem, path)
    return ConnexionResponse(status_code=status, body=body, headers=headers, mimetype=JSON)


# --- translating what Connexion raises into Problems ---------------------------------

def from_connexion(exc: ProblemException) -> Problem:
    """A Connexion problem (validation, 404, 405, 415, auth) as our Problem."""
    details = list(getattr(exc, "details", None) or [])
    status = exc.status or 500
    message = str(exc.detail or exc.title or reason_phrase(status))
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
        message = str(getattr(exc, "detail", "") or reason_phrase(status))
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
    return to_response(unexpected_problem(exc, request.method, request.scope["path"]),
                       request.scope["path"])


def unexpected_problem(exc: BaseException, method: str, path: str) -> Problem:
    """The documented 500 for an error no layer expected, logged with its traceback."""
    log.exception("unexpected error on %s %s", method, path, exc_info=exc)
    return Problem(500, "An unexpected error occurred in the mock server.",
                   [f"{type(exc).__name__}: {exc}"])


# --- Prism's problem+json: the error shape of user specs served by `specdouble mock` --------

PRISM_ERRORS = "https://stoplight.io/prism/errors#"
PROBLEM_JSON = "application/problem+json"
# Prism's title for each of its error codes (the Problem's ``kind``).
PRISM_TITLES = {
    "NO_PATH_MATCHED_ERROR": "Route not resolved, no path matched",
    "NO_METHOD_MATCHED_ERROR": "Route resolved, but no method matched",
    "NO_RESOURCE_PROVIDED_ERROR": "Route not resolved, no resource provided",
    "UNPROCESSABLE_ENTITY": "Invalid request",
    "INVALID_CONTENT_TYPE": "Invalid content type",
    "UNAUTHORIZED": "Invalid security scheme used",
    "NOT_ACCEPTABLE": "The server cannot produce a representation for your accept header",
    "NOT_FOUND": "The server cannot find the requested content",
    "NO_RESPONSE_DEFINED": "No response defined for the selected operation",
    "VIOLATIONS": "Request/Response not valid",
    "SCHEMA_TOO_COMPLEX": "Unable to generate response for this schema",
    "UNKNOWN": "Unexpected error",
}


def prism_problem(problem: Problem) -> dict[str, object]:
    """Prism's body: type/title/status/detail, plus ``validation`` when the request was checked."""
    kind = problem.kind if problem.kind in PRISM_TITLES else "UNKNOWN"
    body: dict[str, object] = {"type": PRISM_ERRORS + kind, "title": PRISM_TITLES[kind],
                               "status": problem.status, "detail": problem.message}
    if problem.extensions.get("validation"):
        body["validation"] = problem.extensions["validation"]
    return body


def render_prism(problem: Problem) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a problem of a user's spec (no runtime needed)."""
    headers = {"Content-Type": PROBLEM_JSON, **problem.headers}
    return problem.status, headers, dumps(prism_problem(problem))
