"""Request validation that reports every offending field, not just the first.

Connexion validates parameters and bodies from the spec; these subclasses
keep its routing of validators but collect all errors as
``"<where>.<field>: <why>"`` details, and parse JSON strictly (line and
column on malformed bodies, invalid UTF-8 a 400 instead of a 500).
"""

from __future__ import annotations

import typing as t

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator
from starlette.types import Receive, Scope

from specdouble.data.validation import whole_numbers_are_integers
from specdouble.engine.validate import FORMAT_CHECKER, coerce, schema_errors
from specdouble.support.jsonparse import JSONError, parse_json

_BODY_VALIDATOR = whole_numbers_are_integers(Draft4RequestValidator)
_PARAMETER_VALIDATOR = whole_numbers_are_integers(Draft4Validator)

_VALIDATORS: dict[tuple[int, str], tuple[dict, Draft4Validator]] = {}


def compiled(schema: dict, kind: str = "parameter") -> Draft4Validator:
    """One validator per schema for the life of the process.

    Connexion builds its validators anew for every request; the schemas are
    the resolved specs' own dicts, alive as long as the app, so their id is a
    stable key (the schema is kept in the entry, so the id cannot be reused).
    """
    key = (id(schema), kind)
    entry = _VALIDATORS.get(key)
    if entry is None or entry[0] is not schema:
        cls = _BODY_VALIDATOR if kind == "body" else _PARAMETER_VALIDATOR
        entry = (schema, cls(schema, format_checker=FORMAT_CHECKER))
        _VALIDATORS[key] = entry
    return entry[1]


class RequestInvalid(BadRequestProblem):
    """A 400 carrying one detail per offending field."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(detail=message)
        self.details = details


class _NamesMissingBody:
    """Connexion's own "RequestBody is required" names no field; ours says ``body``."""

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        try:
            return await super().wrap_receive(receive, scope=scope)  # type: ignore[misc]
        except RequestInvalid:
            raise
        except BadRequestProblem as exc:
            if exc.detail != "RequestBody is required":
                raise
            raise RequestInvalid("The request body is required.", ["body: is required"]) from None


class StrictJSONBodyValidator(_NamesMissingBody, JSONRequestBodyValidator):
    @property
    def _validator(self) -> Draft4Validator:
        return compiled(self._schema, "body")

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw.strip():
            return None
        try:
            return parse_json(raw)
        except JSONError as err:
            raise RequestInvalid(str(err), [f"body: {err.message} (line {err.line}, "
                                             f"column {err.column})"]) from None

    def _validate(self, body: t.Any) -> dict | None:
        if body is None:
            if self._nullable:
                return None
            raise RequestInvalid("The request body is required.", ["body: is required"])
        details = schema_errors(self._validator, body, "body")
        if details:
            raise RequestInvalid("The request body is invalid.", details)
        return None


class StrictFormValidator(_NamesMissingBody, FormDataValidator):
    @property
    def _validator(self) -> Draft4Validator:
        return compiled(self._schema, "body")

    def _validate(self, body: t.Any) -> dict | None:
        details = schema_errors(self._validator, body, "body")
        if details:
            raise RequestInvalid("The request form is invalid.", details)
        return None


class AllErrorsParameterValidator(ParameterValidator):
    """Checks every query, path and header parameter before answering."""

    def _check(self, where: str, param: dict, value: t.Any) -> list[str]:
        name = param["name"]
        # An empty query or path value is no value; a header sent empty is present.
        if value is None or (value == "" and where != "header" and param.get("required")):
            if param.get("required"):
                return [f"{where}.{name}: is required"]
            return []
        if is_nullable(param) and is_null(value):
            return []
        schema = param.get("schema", param)
        validator = compiled(schema)
        out = []
        for error in validator.iter_errors(value):
            out.append(f"{where}.{name}: {error.message}")
        return out

    def validate_request(self, request: ConnexionRequest) -> None:
        details: list[str] = []
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            details.extend(f"query.{name}: is not a parameter of this operation"
                           for name in sorted(extra))
        for param in self.parameters.get("path", []):
            value = request.path_params.get(param["name"].replace("-", "_"))
            details.extend(self._check("path", param, coerce(value, param.get("schema", {}))))
        for param in self.parameters.get("query", []):
            details.extend(self._check("query", param, request.query_params.get(param["name"])))
        for param in self.parameters.get("header", []):
            value = coerce(request.headers.get(param["name"]), param.get("schema", {}))
            details.extend(self._check("header", param, value))
        if details:
            raise RequestInvalid("The request parameters are invalid.", details)


def validator_map() -> dict[str, t.Any]:
    return {
        **VALIDATOR_MAP,
        "parameter": AllErrorsParameterValidator,
        "body": MediaTypeDict(
            {
                "*/*json": StrictJSONBodyValidator,
                "application/x-www-form-urlencoded": StrictFormValidator,
            }
        ),
    }
