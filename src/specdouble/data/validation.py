"""OpenAPI 3.0 schema validators with every format we generate checked.

``openapi_schema_validator``'s OAS 3.0 format checker only knows the OAS
formats (int32, byte, ...); jsonschema's knows date-time, email, uuid, ipv4.
Generated data must pass both, so one checker holds the union. The validator
is built on the whole document (``root``) and then narrowed to a schema, so
local ``#/components/...`` references resolve wherever the schema sits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)

from specdouble.support.jsonparse import is_whole_number

Mode = Literal["response", "request"]
OAS_FORMATS = ("int32", "int64", "float", "double", "byte", "binary", "password")

FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
# Only the OAS formats: oas30_format_checker also carries jsonschema's draft-3 'time'.
FORMAT_CHECKER.checkers.update({k: oas30_format_checker.checkers[k] for k in OAS_FORMATS})


def whole_numbers_are_integers(cls: Any) -> Any:
    """``cls`` with ``type: integer`` accepting ``1.0`` (Draft 4 and OAS 3.0 refuse it).

    The real services are Java/Jackson backends, which read a whole number
    written as ``1.0`` into an int; JSON Schema 2020-12 counts it as an integer.
    """
    checker = cls.TYPE_CHECKER.redefine("integer", lambda _, value: is_whole_number(value))
    return validators.extend(cls, type_checker=checker)


def _int_format(bits: int) -> tuple[Any, tuple[type[Exception], ...]]:
    """The OAS int32/int64 range, also for whole numbers written as ``1.0``."""
    def check(value: object) -> bool:
        return not is_whole_number(value) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    return check, ()


FORMAT_CHECKER.checkers.update({"int32": _int_format(32), "int64": _int_format(64)})
_READ = whole_numbers_are_integers(OAS30ReadValidator)
_WRITE = whole_numbers_are_integers(OAS30WriteValidator)


def schema_validator(
    schema: Mapping[str, Any], root: Mapping[str, Any] | None = None, mode: Mode = "response"
) -> Validator:
    """A validator for ``schema`` whose refs resolve against ``root``.

    ``mode="response"`` rejects writeOnly properties (what a server sends);
    ``mode="request"`` rejects readOnly ones (what a client sends).
    """
    cls = _READ if mode == "response" else _WRITE
    base = root if root is not None else schema
    validator: Validator = cls(base, format_checker=FORMAT_CHECKER)
    if base is schema:
        return validator
    return validator.evolve(schema=schema)
