"""Request checks of a user's spec, reported the way Prism reports them.

Each violation is a plain dict ``{location, severity, code, message}``
(Prism's ``validation`` items), so a client written against Prism reads our
422s unchanged. Messages follow Ajv's wording for the keywords users meet
most; anything else keeps jsonschema's message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator, ValidationError

from specdouble.engine.validate import FORMAT_CHECKER, coerce

Violation = dict[str, Any]


def validator(schema: Mapping[str, Any], version: str) -> Any:
    """A jsonschema validator for a (normalised) schema of a spec of ``version``."""
    cls = Draft202012Validator if version == "3.1" else Draft4Validator
    return cls(dict(schema), format_checker=FORMAT_CHECKER)


def _ajv_message(error: ValidationError) -> str:
    value = error.validator_value
    keyword = str(error.validator)
    texts = {
        "type": lambda: f"must be {value if isinstance(value, str) else ','.join(value)}",
        "maximum": lambda: f"must be <= {value}",
        "minimum": lambda: f"must be >= {value}",
        "exclusiveMaximum": lambda: f"must be < {value}",
        "exclusiveMinimum": lambda: f"must be > {value}",
        "minLength": lambda: f"must NOT have fewer than {value} characters",
        "maxLength": lambda: f"must NOT have more than {value} characters",
        "minItems": lambda: f"must NOT have fewer than {value} items",
        "maxItems": lambda: f"must NOT have more than {value} items",
        "pattern": lambda: f'must match pattern "{value}"',
        "format": lambda: f'must match format "{value}"',
        "enum": lambda: "must be equal to one of the allowed values",
        "additionalProperties": lambda: "must NOT have additional properties",
        "multipleOf": lambda: f"must be multiple of {value}",
        "uniqueItems": lambda: "must NOT have duplicate items",
        "oneOf": lambda: "must match exactly one schema in oneOf",
        "anyOf": lambda: "must match a schema in anyOf",
        "not": lambda: "must NOT be valid",
        "const": lambda: "must be equal to constant",
        "minProperties": lambda: f"must NOT have fewer than {value} properties",
        "maxProperties": lambda: f"must NOT have more than {value} properties",
    }
    make = texts.get(keyword)
    return make() if make is not None else error.message


def schema_violations(check: Any, value: Any, location: list[str], subject: str
                      ) -> list[Violation]:
    """Every error of ``value``; ``subject`` starts each message ("Request body")."""
    out = []
    for error in sorted(check.iter_errors(value), key=lambda e: list(map(str, e.path))):
        path = [str(p) for p in error.path]
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    where = f" property {'.'.join(path)}" if path else ""
                    out.append({"location": [*location, *path], "severity": "Error",
                                "code": "required",
                                "message": f"{subject}{where} must have required property "
                                           f"'{name}'"})
            continue
        where = f" property {'.'.join(path)}" if path and location[0] == "body" else ""
        out.append({"location": [*location, *path], "severity": "Error",
                    "code": str(error.validator),
                    "message": f"{subject}{where} {_ajv_message(error)}"})
    return out


def array_value(values: list[str], param: Mapping[str, Any]) -> list[Any]:
    """A query array: repeated keys (form, explode) or one comma-separated value."""
    items = (param.get("schema") or {}).get("items") or {}
    explode = param.get("explode", param.get("style", "form") == "form")
    if param.get("collectionFormat") == "multi":
        explode = True
    if not explode or len(values) == 1:
        separator = {"pipeDelimited": "|", "spaceDelimited": " "}.get(
            str(param.get("style")), {"pipes": "|", "ssv": " ", "tsv": "\t"}.get(
                str(param.get("collectionFormat")), ","))
        values = [part for value in values for part in value.split(separator)]
    return [coerce(v, items) for v in values]


# --- security: presence only, as Prism checks it ---------------------------------------------

def _has_basic(authorization: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic" or not token:
        return False
    try:
        return ":" in base64.b64decode(token, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False


def scheme_present(scheme: Mapping[str, Any], headers: Mapping[str, str],
                   query: Mapping[str, list[str]], cookies: Mapping[str, str]) -> bool:
    """Whether the credentials a scheme asks for are there (their value is never checked)."""
    if not scheme:
        return True  # an undeclared scheme: warned about at start-up, never refused (Prism)
    kind = str(scheme.get("type", "")).lower()
    authorization = headers.get("authorization", "")
    if kind == "apikey":
        name = str(scheme.get("name", ""))
        where = scheme.get("in")
        if where == "query":
            return bool((query.get(name) or [""])[0])
        if where == "cookie":
            return bool(cookies.get(name))
        return bool(headers.get(name.lower()))
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        return _has_basic(authorization)
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "digest":
        return authorization.lower().startswith("digest ")
    scheme_name, _, token = authorization.partition(" ")
    return scheme_name.lower() == "bearer" and bool(token.strip())


def challenge(scheme: Mapping[str, Any]) -> str | None:
    """The ``WWW-Authenticate`` value of a 401 for a scheme (None for API keys)."""
    kind = str(scheme.get("type", "")).lower()
    if kind == "http":
        name = str(scheme.get("scheme", "")).lower()
        if name == "basic":
            return 'Basic realm="*"'
        if name == "digest":
            return 'Digest realm="*", nonce="abc123"'
        return "Bearer"
    if kind in ("oauth2", "openidconnect"):
        return "OAuth2" if kind == "oauth2" else "Bearer"
    return None
