"""Which paths of a user's spec are CRUD collections, inferred from the spec alone.

``specdouble mock --stateful`` keeps records for a spec nobody wrote code
for, so what is a collection, what is its item path and which property is
the id must follow from the shape of the paths and schemas (docs/stateful.md):

- a collection is a path P with a GET whose 2xx body is an array, or an
  object with exactly one array property (a wrapped list), and/or a POST
  that takes an object; its item path is P/{param};
- the id property is the record's property named like the item path's
  parameter, else ``id``, else its first ``readOnly`` property.

What cannot be decided (two array properties in a list wrapper, a record
without an id property) is a warning, and the operations concerned stay
stateless. Only the spec model is read here: no state, no HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specdouble.spec.documents import DEFINITIONS, FORM, JSON, Document, Operation

LIST, CREATE, READ, REPLACE, UPDATE, DELETE = (
    "list", "create", "read", "replace", "update", "delete")
ITEM_ROLES = {"GET": READ, "PUT": REPLACE, "PATCH": UPDATE, "DELETE": DELETE}


@dataclass(frozen=True)
class Collection:
    """One inferred collection of one document."""

    source: str
    path: str  # P, as written in the spec
    item_path: str | None  # P/{param}
    param: str | None  # the item path's parameter
    id_property: str
    id_schema: Mapping[str, Any]
    record_schema: Mapping[str, Any]  # the record as responses show it (merged)
    wrapper: str | None = None  # the list's array property, when the list is wrapped
    operations: dict[str, str] = field(default_factory=dict)  # role -> "METHOD path"

    @property
    def scope(self) -> tuple[str, ...]:
        """P's own path parameters: their values name the concrete collection."""
        return tuple(re.findall(r"\{([^/}]+)\}", self.path))

    @property
    def id_type(self) -> str:
        kind = self.id_schema.get("type")
        return kind if isinstance(kind, str) else "string"

    def describe(self) -> dict[str, Any]:
        """What was inferred, for the banner and ``GET /__admin/collections``."""
        return {"path": self.path, "itemPath": self.item_path, "idProperty": self.id_property,
                "idType": self.id_type, "idFormat": self.id_schema.get("format"),
                "wrapper": self.wrapper, "scope": list(self.scope),
                "operations": dict(self.operations), "source": self.source}


@dataclass(frozen=True)
class Inference:
    """Every collection of a document and the CRUD role of each operation in one."""

    collections: tuple[Collection, ...] = ()
    # (document source, METHOD, path as written) -> (collection, role)
    roles: Mapping[tuple[str, str, str], tuple[Collection, str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# --- schema reading ----------------------------------------------------------------------

def merged(schema: Any, root: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """``schema`` with its ``$ref`` followed and ``allOf`` branches merged (best effort)."""
    if not isinstance(schema, Mapping) or depth > 8:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(f"#/{DEFINITIONS}/"):
        schema = root.get(DEFINITIONS, {}).get(ref.rsplit("/", 1)[-1], {})
    out = {k: v for k, v in schema.items() if k not in ("allOf", "$ref")}
    for branch in schema.get("allOf") or []:
        out = join_branch(out, merged(branch, root, depth + 1))
    return out


def join_branch(own: Mapping[str, Any], branch: Mapping[str, Any]) -> dict[str, Any]:
    """An ``allOf`` branch joined into a schema: properties and required lists are
    united, and where both say something the schema's own word wins."""
    props = {**(branch.get("properties") or {}), **(own.get("properties") or {})}
    required = [*(branch.get("required") or []), *(own.get("required") or [])]
    out = {**branch, **own}
    if props:
        out["properties"] = props
    if required:
        out["required"] = list(dict.fromkeys(required))
    return out


def _kind(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None and "properties" in schema:
        return "object"
    if kind is None and "items" in schema:
        return "array"
    return kind if isinstance(kind, str) else None


def is_json(media: str) -> bool:
    low = media.lower().split(";")[0].strip()
    return low in (JSON, "*/*") or low.endswith("+json")


def success_codes(operation: Operation) -> list[str]:
    """The documented 2xx statuses, exact codes first (lowest first), then ``2XX``."""
    codes = [c for c in operation.responses if c.startswith("2")]
    return sorted(codes, key=lambda c: (not c.isdigit(), c))


def response_schema(operation: Operation, code: str) -> Any:
    """The JSON schema a response declares, or None."""
    content = (operation.responses.get(code) or {}).get("content") or {}
    for media, spec in content.items():
        if is_json(media) and isinstance(spec, Mapping) and "schema" in spec:
            return spec["schema"]
    return None


def _success_schema(operation: Operation, root: Mapping[str, Any]) -> dict[str, Any] | None:
    for code in success_codes(operation):
        schema = response_schema(operation, code)
        if schema is not None:
            return merged(schema, root)
    return None


def body_schema(operation: Operation, root: Mapping[str, Any]) -> dict[str, Any] | None:
    """The object schema a write takes (JSON or form), or None."""
    for media, schema in operation.body.items():
        if (is_json(media) or media.lower().startswith(FORM)) and \
                not media.lower().startswith("application/json-patch"):
            found = merged(schema, root)
            if _kind(found) == "object" or not found:
                return found
    return None


def list_shape(operation: Operation, root: Mapping[str, Any]
               ) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    """(item schema, wrapper property, ambiguous array properties) of a list GET."""
    schema = _success_schema(operation, root)
    if schema is None:
        return None, None, []
    if _kind(schema) == "array":
        items = merged(schema.get("items") or {}, root)
        return (items, None, []) if _kind(items) in ("object", None) else (None, None, [])
    if _kind(schema) != "object":
        return None, None, []
    arrays = [name for name, sub in (schema.get("properties") or {}).items()
              if _kind(merged(sub, root)) == "array"]
    if len(arrays) == 1:
        items = merged(merged(schema["properties"][arrays[0]], root).get("items") or {}, root)
        if _kind(items) in ("object", None):  # a list of records, not of tags or numbers
            return items, arrays[0], []
    return None, None, arrays if len(arrays) > 1 else []


# --- inference ----------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def id_property(record: Mapping[str, Any], param: str | None,
                root: Mapping[str, Any]) -> str | None:
    """The item parameter's namesake, else ``id``, else the first readOnly property."""
    props = record.get("properties") or {}
    if param is not None:
        if param in props:
            return param
        alike = [name for name in props if _norm(name) == _norm(param)]
        if alike:
            return alike[0]
    if "id" in props:
        return "id"
    for name, sub in props.items():
        if merged(sub, root).get("readOnly"):
            return str(name)
    return None


def _item_path(path: str, paths: Mapping[str, Mapping[str, Operation]]) -> str | None:
    depth = path.rstrip("/").count("/") + 1
    for other in paths:
        if other.count("/") == depth and other.startswith(path.rstrip("/") + "/") and \
                re.fullmatch(r"\{[^/}]+\}", other.rsplit("/", 1)[-1]):
            return other
    return None


def _record_schema(by_method: Mapping[str, Operation], item: Mapping[str, Operation],
                   listed: dict[str, Any] | None, root: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the spec's responses show it: item GET, else POST's answer, else ..."""
    candidates = [_success_schema(item["GET"], root) if "GET" in item else None,
                  _success_schema(by_method["POST"], root) if "POST" in by_method else None,
                  listed,
                  body_schema(by_method["POST"], root) if "POST" in by_method else None]
    for candidate in candidates:
        if candidate and _kind(candidate) == "object" and candidate.get("properties"):
            return candidate
    return {}


class _Inferrer:
    """One document's paths, read once."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.root: Mapping[str, Any] = {DEFINITIONS: document.definitions}
        self.paths: dict[str, dict[str, Operation]] = {}
        for operation in document.operations:
            self.paths.setdefault(operation.path, {})[operation.method] = operation
        self.warnings: list[str] = []

    def where(self, operation: Operation) -> str:
        return f"{self.document.source}: {operation.method} {operation.path}"

    def claims(self, path: str, warn: bool = True
               ) -> tuple[dict[str, Any] | None, str | None, bool]:
        """(list item schema, wrapper, POST creates) of a candidate collection path."""
        by_method = self.paths[path]
        listed, wrapper = None, None
        if "GET" in by_method:
            listed, wrapper, ambiguous = list_shape(by_method["GET"], self.root)
            if ambiguous and warn:
                self.warnings.append(
                    f"{self.where(by_method['GET'])}: its 2xx body has several array "
                    f"properties ({', '.join(ambiguous)}): which one is the list is ambiguous, "
                    "so this operation stays stateless")
        post = by_method.get("POST")
        creates = post is not None and bool(success_codes(post)) and \
            body_schema(post, self.root) is not None
        return listed, wrapper, creates

    def collection(self, path: str) -> Collection | None:
        if self._is_item_of_collection(path):
            return None  # an item (its arrays, its POST actions), not a nested collection
        listed, wrapper, creates = self.claims(path)
        if listed is None and not creates:
            return None
        by_method = self.paths[path]
        item_path = _item_path(path, self.paths)
        item = self.paths.get(item_path, {}) if item_path else {}
        param = item_path.rsplit("/", 1)[-1][1:-1] if item_path else None
        record = _record_schema(by_method, item, listed, self.root)
        name = id_property(record, param, self.root)
        if name is None:
            self.warnings.append(f"{self.document.source}: {path}: looks like a collection but "
                                 "its records have no id property (no property named like the "
                                 "item parameter, no 'id', no readOnly one): served stateless")
            return None
        id_schema = merged((record.get("properties") or {}).get(name), self.root)
        operations = {}
        if listed is not None:
            operations[LIST] = f"GET {path}"
        if creates:
            operations[CREATE] = f"POST {path}"
        for method, operation in item.items():
            if method in ITEM_ROLES and success_codes(operation) and \
                    (method not in ("PUT", "PATCH") or operation.body):
                operations[ITEM_ROLES[method]] = f"{method} {item_path}"
        return Collection(self.document.source, path, item_path, param, name,
                          id_schema or {"type": "string"}, record, wrapper, operations)

    def _is_item_of_collection(self, path: str) -> bool:
        parent, _, last = path.rstrip("/").rpartition("/")
        if not re.fullmatch(r"\{[^/}]+\}", last) or parent not in self.paths:
            return False
        listed, _, creates = self.claims(parent, warn=False)
        return listed is not None or creates


def infer(document: Document) -> Inference:
    """The collections of ``document`` and each CRUD operation's role."""
    inferrer = _Inferrer(document)
    collections = []
    roles: dict[tuple[str, str, str], tuple[Collection, str]] = {}
    for path in inferrer.paths:
        found = inferrer.collection(path)
        if found is None:
            continue
        collections.append(found)
        for role, operation in found.operations.items():
            method, _, template = operation.partition(" ")
            roles[(document.source, method, template)] = (found, role)
    return Inference(tuple(collections), roles, tuple(inferrer.warnings))
