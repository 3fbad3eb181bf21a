"""Which schema each stored collection follows, and checking a state document.

Records are validated as the server would send them (OAS "response" mode:
read-only fields allowed), against the component schema of the service
that owns the collection (internal collections, which no API exposes, have
theirs in ``specs/admin.yaml``), as the service descriptors declare. A
record's key must equal its id field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specdouble.data.validation import schema_validator
from specdouble.state.base import TenantData
from specdouble.support.problems import bad_request
from specdouble.world.catalog import Collection

MAX_DETAILS = 100


def known_collections(collections: Mapping[str, Collection],
                      specs: Mapping[str, Mapping[str, Any]]) -> dict[str, Collection]:
    """The collections whose schema's spec (and the admin spec) this server serves."""
    if "admin" not in specs:
        return {}
    return {name: c for name, c in collections.items() if c.schema_service in specs}


def _where(prefix: str, path: Any) -> str:
    out = prefix
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else f".{item}"
    return out


def check_open_state(document: Any) -> TenantData:
    """The tenant data of a state document whose collections no schema describes.

    The generic mock of a user's spec declares no collections: any name is
    taken, as long as each collection is an object of key -> object record.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("collections"), Mapping):
        raise bad_request("The state document is invalid; nothing was imported.",
                          "body.collections: is required and must be an object")
    errors: list[str] = []
    data: TenantData = {}
    for name, records in document["collections"].items():
        where = f"collections.{name}"
        if not isinstance(records, Mapping):
            errors.append(f"{where}: must be an object of id -> record")
            continue
        bad = [key for key, record in records.items() if not isinstance(record, Mapping)]
        errors += [f"{where}.{key}: must be an object" for key in bad]
        data[str(name)] = {str(key): dict(record) for key, record in records.items()
                           if key not in bad}
    if errors:
        raise bad_request("The state document is invalid; nothing was imported.",
                          *errors[:MAX_DETAILS])
    return data


def check_state(document: Any, collections: Mapping[str, Collection],
                specs: Mapping[str, Mapping[str, Any]]) -> TenantData:
    """The tenant data of a state document, or a 400 naming every bad record and field."""
    if not isinstance(document, Mapping) or not isinstance(document.get("collections"), Mapping):
        raise bad_request("The state document is invalid; nothing was imported.",
                          "body.collections: is required and must be an object")
    known = known_collections(collections, specs)
    errors: list[str] = []
    data: TenantData = {name: {} for name in known}
    for name, records in document["collections"].items():
        where = f"collections.{name}"
        described = known.get(name)
        if described is None:
            errors.append(f"{where}: unknown collection; known: {', '.join(sorted(known))}")
            continue
        if not isinstance(records, Mapping):
            errors.append(f"{where}: must be an object of id -> record")
            continue
        spec = specs[described.schema_service]
        validator = schema_validator(spec["components"]["schemas"][described.schema], spec)
        for key, record in records.items():
            record_where = f"{where}.{key}"
            if not isinstance(record, Mapping):
                errors.append(f"{record_where}: must be an object")
                continue
            found = sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.path)))
            for error in found:
                errors.append(f"{_where(record_where, error.absolute_path)}: {error.message}")
            if not found and str(record.get(described.id_field)) != str(key):
                errors.append(f"{record_where}.{described.id_field}: must equal the record's "
                              f"key {key!r}, got {record.get(described.id_field)!r}")
            data[name][str(key)] = dict(record)
    if errors:
        shown = errors[:MAX_DETAILS]
        if len(errors) > MAX_DETAILS:
            shown.append(f"...: {len(errors) - MAX_DETAILS} more errors")
        raise bad_request("The state document is invalid; nothing was imported.", *shown)
    return data
