"""``specdouble mock --stateful``: CRUD on the collections inferred from a user's spec.

Runs between :meth:`Mocker.check` and :meth:`Mocker.respond`: an invalid
request has already been refused exactly as in stateless mode (and changes
nothing), a request with a forcing ``Prefer`` (code, example, dynamic) and
every operation that is not CRUD-shaped get the stateless answer. Records
live in tenant ``default`` of the same store the built-in services use, one
collection per concrete collection path (``/shelves/AB12/volumes``), so a
state export shows them and several workers on Redis share them. Integer
ids come from the store's per-tenant sequences, one per collection.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specdouble.data.generator import GenerationError
from specdouble.engine.mock import (
    FORM,
    Checked,
    Mocker,
    Reply,
    Request,
    Route,
    _decode_body,
    _negotiate,
    _serialise,
    _typed_form,
    problem,
)
from specdouble.spec.resources import (
    CREATE,
    DELETE,
    LIST,
    READ,
    REPLACE,
    UPDATE,
    Collection,
    Inference,
    body_schema,
    infer,
    merged,
    success_codes,
)
from specdouble.state.base import Record, Store, Transaction, run_transaction

TENANT = "default"
FORCING = ("code", "example", "dynamic")
PAGE_SIZES = ("limit", "size", "pageSize", "page_size", "per_page", "perPage")
OFFSETS = ("offset", "skip")
TOTALS = ("total", "count", "totalCount", "total_count", "totalItems", "total_items",
          "totalElements", "total_elements")
JSON_PATCH = "application/json-patch+json"


class PatchError(ValueError):
    """A JSON Patch that cannot be applied to the record."""


@dataclass(frozen=True)
class _Answer:
    """The documented response ``code`` of a checked request, as a record answer needs it."""

    checked: Checked
    response: Mapping[str, Any]
    status: int
    media: str
    schema: Any
    root: Mapping[str, Any]

    @staticmethod
    def of(layer: Stateful, checked: Checked, code: str) -> _Answer | Reply:
        """The answer's parts; a Reply when the response has no schema to shape records by."""
        route = checked.route
        response = route.operation.responses[code]
        status = _status(code, route.operation.method)
        media, schema = layer._media(checked, response)
        if media is None or schema is None:
            return layer.mocker._body(route, status, response, {}, _accept(checked))
        return _Answer(checked, response, status, media, schema,
                       layer.mocker._roots(route.document))

    def reply(self, layer: Stateful, value: Any) -> Reply:
        headers = layer.mocker._headers(self.checked.route, self.response)
        headers.append(("Content-Type", self.media))
        return Reply(self.status, headers, _serialise(self.media, value))


class Stateful:
    """The CRUD layer over a :class:`Mocker`: same routing and checks, records in a store."""

    def __init__(self, mocker: Mocker, store: Store, tenant: str = TENANT) -> None:
        self.mocker = mocker
        self.store = store
        self.tenant = tenant
        self.inferences: list[Inference] = [infer(d) for d in mocker.documents]
        self.roles = {key: found for inference in self.inferences
                      for key, found in inference.roles.items()}
        self.warnings = [w for inference in self.inferences for w in inference.warnings]
        store.add_tenant(tenant, {})
        self._handlers: dict[str, Callable[[Transaction, Checked, Collection], Reply]] = {
            LIST: self._list, CREATE: self._create, READ: self._read,
            REPLACE: self._replace, UPDATE: self._update, DELETE: self._delete}

    @property
    def collections(self) -> list[Collection]:
        return [c for inference in self.inferences for c in inference.collections]

    def describe(self) -> dict[str, Any]:
        """What was inferred (``GET /__admin/collections``)."""
        return {"collections": [c.describe() for c in self.collections],
                "warnings": list(self.warnings)}

    def answer(self, request: Request) -> Reply:
        checked = self.mocker.check(request)
        if checked.refusal is not None:
            return checked.refusal
        operation = checked.route.operation
        found = self.roles.get((checked.route.document.source, operation.method,
                                operation.path))
        if found is None or any(key in checked.prefer for key in FORCING):
            return self.mocker.respond(checked)
        collection, role = found
        handler = self._handlers[role]
        reply = self._transaction(lambda tx: handler(tx, checked, collection))
        return Mocker.finish(checked.route, reply)

    def _transaction(self, work: Callable[[Transaction], Reply]) -> Reply:
        """``work`` in a unit of work on the tenant, created again if it was dropped."""
        try:
            return run_transaction(self.store, self.tenant, work)
        except KeyError:
            if self.store.has_tenant(self.tenant):
                raise
            # the tenant was dropped (an admin reset, a Redis that lost it): start empty
            self.store.add_tenant(self.tenant, {})
            return run_transaction(self.store, self.tenant, work)

    # --- the operations ---------------------------------------------------------------

    def _list(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        records = [r for r in tx.values(_name(collection, checked.path_params))
                   if _kept(r, checked, collection)]
        page = _page(records, checked)
        code = _code(checked.route, ["200"])
        return self._records(checked, code, page, len(records), collection)

    def _create(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        name = _name(collection, checked.path_params)
        record = self._stored(checked, collection)
        if record.get(collection.id_property) is not None:
            key = _key(collection, record[collection.id_property])
            if tx.get(name, key) is not None:
                return self._refuse(checked, 409, "CONFLICT",
                                    f"{collection.id_property} {key} is already taken in {name}")
        else:
            value = self._new_id(tx, name, collection)
            record = {collection.id_property: value, **record}
            key = _key(collection, value)
        tx.put(name, key, record)
        reply = self._record(checked, _code(checked.route, ["201"]), record, collection)
        return _located(reply, f"{checked.request.path.rstrip('/')}/{key}")

    def _read(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        name, key = _name(collection, checked.path_params), _item_key(collection, checked)
        record = tx.get(name, key)
        if record is None:
            return self._missing(checked, name, key)
        return self._record(checked, _code(checked.route, ["200"]), record, collection)

    def _replace(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        name, key = _name(collection, checked.path_params), _item_key(collection, checked)
        old = tx.get(name, key)
        responses = checked.route.operation.responses
        if old is None and "201" not in responses:
            return self._missing(checked, name, key)
        record = self._stored(checked, collection)
        kept = old[collection.id_property] if old is not None and \
            collection.id_property in old else _id_value(collection, key)
        record = {collection.id_property: kept,
                  **{k: v for k, v in record.items() if k != collection.id_property}}
        tx.put(name, key, record)
        code = "201" if old is None else _changed_code(checked.route)
        reply = self._record(checked, code, record, collection)
        return _located(reply, checked.request.path) if old is None else reply

    def _update(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        name, key = _name(collection, checked.path_params), _item_key(collection, checked)
        old = tx.get(name, key)
        if old is None:
            return self._missing(checked, name, key)
        media = checked.request.headers.get("content-type", "").split(";")[0].strip().lower()
        patch = _decode_body(media, checked.request.body) if checked.request.body else {}
        try:
            patcher = json_patch if media == JSON_PATCH else merge_patch
            record = patcher(old, patch)
        except PatchError as exc:
            return self._refuse(checked, 422, "UNPROCESSABLE_ENTITY", str(exc))
        if not isinstance(record, dict):
            return self._refuse(checked, 422, "UNPROCESSABLE_ENTITY",
                                "the patched record is not an object")
        if collection.id_property in old:
            record[collection.id_property] = old[collection.id_property]
        tx.put(name, key, record)
        return self._record(checked, _changed_code(checked.route), record, collection)

    def _delete(self, tx: Transaction, checked: Checked, collection: Collection) -> Reply:
        name, key = _name(collection, checked.path_params), _item_key(collection, checked)
        old = tx.get(name, key)
        if old is None:
            return self._missing(checked, name, key)
        tx.delete(name, key)
        return self._record(checked, _code(checked.route, []), old, collection)

    # --- records in, records out ------------------------------------------------------

    def _stored(self, checked: Checked, collection: Collection) -> Record:
        """The request body as it is stored: form fields typed, schema defaults applied."""
        route, request = checked.route, checked.request
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        value = _decode_body(media, request.body) if request.body else {}
        root = self.mocker._roots(route.document)
        schema = body_schema(route.operation, root)
        if media == FORM and isinstance(value, dict):
            value = _typed_form(value, next(iter(route.operation.body.values()), {}))
        record = dict(value) if isinstance(value, dict) else {}
        _defaults(record, merged(schema or {}, root), root)
        for prop, sub in (collection.record_schema.get("properties") or {}).items():
            sub = merged(sub, root)
            if prop not in record and sub.get("readOnly") and "default" in sub:
                record[prop] = json.loads(json.dumps(sub["default"]))
        return record

    def _new_id(self, tx: Transaction, name: str, collection: Collection) -> Any:
        """A free id that fits its schema: integers count up from 1, strings are unique."""
        schema = collection.id_schema
        for _ in range(10_000):
            value: Any
            if collection.id_type in ("integer", "number"):
                value = tx.next_sequence(f"ids:{name}")
            elif schema.get("format") == "uuid" or not _constrained(schema):
                value = str(uuid.uuid4())
            else:
                try:
                    value = self.mocker.generator.generate(schema)
                except GenerationError:
                    value = str(uuid.uuid4())
            if tx.get(name, _key(collection, value)) is None:
                return value
        raise problem(500, "NO_FREE_ID", f"no free {collection.id_property} left in {name}")

    def _record(self, checked: Checked, code: str, record: Record,
                collection: Collection) -> Reply:
        """``record`` in the response ``code`` documents, shaped by its schema."""
        answer = _Answer.of(self, checked, code)
        if isinstance(answer, Reply):
            return answer
        value = self._shape(record, merged(answer.schema, answer.root), checked.route,
                            collection)
        return answer.reply(self, value)

    def _records(self, checked: Checked, code: str, records: list[Record], total: int,
                 collection: Collection) -> Reply:
        """The list answer: an array, or the documented wrapper around one."""
        answer = _Answer.of(self, checked, code)
        if isinstance(answer, Reply):
            return answer
        route, status, schema, root = checked.route, answer.status, answer.schema, answer.root
        outer = merged(schema, root)
        holder = merged((outer.get("properties") or {}).get(collection.wrapper), root) \
            if collection.wrapper else outer
        item = merged(holder.get("items") or {}, root)
        value: Any = [self._shape(r, item, route, collection) for r in records]
        if collection.wrapper:
            base, _ = self.mocker._value(route, status, {"schema": schema}, False, {})
            wrapper = dict(base) if isinstance(base, dict) else {}
            for prop in TOTALS:
                sub = merged((outer.get("properties") or {}).get(prop), root)
                if prop in wrapper and sub.get("type") == "integer":
                    wrapper[prop] = total
            wrapper[collection.wrapper] = value
            value = wrapper
        return answer.reply(self, value)

    def _media(self, checked: Checked, response: Mapping[str, Any]
               ) -> tuple[str | None, Any]:
        content = response.get("content") or {}
        if not content:
            return None, None
        media = _negotiate(list(content), checked.request.headers.get("accept", ""))
        if media is None:
            raise problem(406, "NOT_ACCEPTABLE",
                          f"Unable to find content for {checked.request.headers.get('accept')}")
        return media, (content[media] or {}).get("schema")

    def _shape(self, record: Any, schema: Mapping[str, Any], route: Route,
               collection: Collection) -> Any:
        """The record as the response schema shows it: no writeOnly property, no undeclared
        one where none is allowed, and each missing required one generated (the same for the
        same record every time)."""
        if not isinstance(record, dict) or "properties" not in schema:
            return record
        root = self.mocker._roots(route.document)
        props = schema.get("properties") or {}
        closed = schema.get("additionalProperties") is False
        out = {k: v for k, v in record.items()
               if not (k in props and merged(props[k], root).get("writeOnly"))
               and not (closed and k not in props)}
        for prop in schema.get("required") or []:
            if prop not in out and prop in props:
                self.mocker._reseed(f"{collection.path}:{record.get(collection.id_property)}"
                                    f":{prop}")
                try:
                    out[prop] = self.mocker.generator.generate(
                        props[prop], root=self.mocker._roots(route.document), name=prop)
                except GenerationError:
                    continue
        return out

    def _missing(self, checked: Checked, name: str, key: str) -> Reply:
        """An unknown id: the documented 404 (its example, else generated), else a problem."""
        return self._refuse(checked, 404, "NOT_FOUND", f"No record {key} in {name}")

    def _refuse(self, checked: Checked, status: int, kind: str, detail: str) -> Reply:
        responses = checked.route.operation.responses
        wanted = [str(status)] + (["400"] if status == 422 else [])
        for code in wanted:
            if code in responses:
                return self.mocker._body(checked.route, int(code), responses[code], {},
                                         _accept(checked))
        raise problem(status, kind, detail)


# --- helpers ---------------------------------------------------------------------------------

def _located(reply: Reply, path: str) -> Reply:
    """A documented ``Location`` header of a create names the new record."""
    reply.headers = [(k, path) if k.lower() == "location" else (k, v) for k, v in reply.headers]
    return reply


def _accept(checked: Checked) -> dict[str, str]:
    return {"accept": checked.request.headers.get("accept", "")}


def _name(collection: Collection, params: Mapping[str, str]) -> str:
    """The concrete collection: P with its own path parameters' values."""
    path = collection.path
    for param in collection.scope:
        path = path.replace("{" + param + "}", params.get(param, ""))
    return path


def _id_value(collection: Collection, raw: str) -> Any:
    """An id from a path segment, typed as its schema says."""
    try:
        if collection.id_type == "integer":
            return int(raw)
        if collection.id_type == "number":
            number = float(raw)
            return int(number) if number.is_integer() else number
    except ValueError:
        pass
    return raw


def _key(collection: Collection, value: Any) -> str:
    """The store key of an id: ``7``, ``"7"`` and ``"007"`` are one integer id."""
    if isinstance(value, str):
        value = _id_value(collection, value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else json.dumps(value)


def _item_key(collection: Collection, checked: Checked) -> str:
    return _key(collection, checked.path_params.get(collection.param or "", ""))


def _constrained(schema: Mapping[str, Any]) -> bool:
    """A string id schema a uuid may not fit."""
    return any(key in schema for key in ("pattern", "format", "enum", "const")) or \
        int(schema.get("maxLength", 36)) < 36 or int(schema.get("minLength", 0)) > 36


def _code(route: Route, preferred: list[str]) -> str:
    """The documented 2xx to answer with: a preferred code, else the lowest one."""
    responses = route.operation.responses
    for code in preferred:
        if code in responses:
            return code
    codes = success_codes(route.operation)
    return codes[0]


def _changed_code(route: Route) -> str:
    """The documented 2xx for a record that was there and is changed: 200, else 204, else
    the lowest one but 201, which says "created" (RFC 9110 9.3.4); 201 only if it is all."""
    for code in ("200", "204"):
        if code in route.operation.responses:
            return code
    codes = success_codes(route.operation)
    return next((c for c in codes if c != "201"), codes[0])


def _status(code: str, method: str) -> int:
    if code.isdigit():
        return int(code)
    return 201 if method == "POST" else 200


def _defaults(record: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any],
              depth: int = 0) -> None:
    """Each missing property with a ``default`` gets it, in nested objects too."""
    if depth > 8:
        return
    for prop, sub in (schema.get("properties") or {}).items():
        sub = merged(sub, root)
        if prop not in record and "default" in sub:
            record[prop] = json.loads(json.dumps(sub["default"]))
        elif isinstance(record.get(prop), dict):
            _defaults(record[prop], sub, root, depth + 1)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _paging_names(checked: Checked) -> set[str]:
    declared = {str(p["name"]) for p in checked.route.operation.parameters
                if p.get("in") == "query"}
    return declared & {*PAGE_SIZES, *OFFSETS, "page"}


def _kept(record: Record, checked: Checked, collection: Collection) -> bool:
    """Does ``record`` match every query parameter that names one of its properties?"""
    props = collection.record_schema.get("properties") or {}
    paging = _paging_names(checked)
    for name, values in checked.query.items():
        if name in paging or name.startswith("__") or (name not in props and name not in record):
            continue
        wanted = {part for value in values for part in (value, *value.split(","))}
        found = record.get(name)
        have = [_text(v) for v in found] if isinstance(found, list) else [_text(found)]
        if not wanted & set(have):
            return False
    return True


def _number(checked: Checked, name: str) -> int | None:
    """A declared paging parameter's value, else its default, else None."""
    for param in checked.route.operation.parameters:
        if param.get("in") == "query" and param.get("name") == name:
            raw = checked.query.get(name, [None])[0]
            if raw is None:
                raw = (param.get("schema") or {}).get("default")
            try:
                return None if raw is None else int(raw)
            except (TypeError, ValueError):
                return None
    return None


def _page(records: list[Record], checked: Checked) -> list[Record]:
    """The page asked for, by declared limit/offset or page/size parameters."""
    declared = _paging_names(checked)
    size_name = next((n for n in PAGE_SIZES if n in declared), None)
    size = _number(checked, size_name) if size_name else None
    offset_name = next((n for n in OFFSETS if n in declared), None)
    start = 0
    if offset_name is not None:
        start = _number(checked, offset_name) or 0
    elif "page" in declared and size is not None:
        param = next(p for p in checked.route.operation.parameters if p.get("name") == "page")
        first = 0 if (param.get("schema") or {}).get("minimum") == 0 else 1
        page = _number(checked, "page")
        start = ((first if page is None else page) - first) * size
    start = max(start, 0)
    return records[start:start + size] if size is not None and size >= 0 else records[start:]


# --- patches ---------------------------------------------------------------------------------

def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise PatchError(f"not a JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _parent(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts[:-1]:
        node = _child(node, part)
    return node


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise PatchError(f"no member {part!r}")


def _get(doc: Any, path: Any) -> Any:
    node = doc
    for part in _pointer(path):
        node = _child(node, part)
    return node


def _remove(doc: Any, path: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the whole record")
    parent, last = _parent(doc, parts), parts[-1]
    value = _child(parent, last)
    if isinstance(parent, list):
        parent.pop(int(last))
    else:
        del parent[last]
    return value


def _add(doc: Any, path: Any, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent, last = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last == "-":
        parent.append(value)
    elif isinstance(parent, list) and last.isdigit() and int(last) <= len(parent):
        parent.insert(int(last), value)
    else:
        raise PatchError(f"cannot add at {path!r}")
    return doc


def _operation(doc: Any, op: Any) -> Any:
    if not isinstance(op, dict) or "path" not in op:
        raise PatchError(f"not a JSON Patch operation: {op!r}")
    kind, path = op.get("op"), op["path"]
    if kind in ("add", "replace", "test") and "value" not in op:
        raise PatchError(f"{kind} needs a value")
    if kind == "add":
        return _add(doc, path, op["value"])
    if kind == "remove":
        _remove(doc, path)
        return doc
    if kind == "replace":
        _get(doc, path)
        return _add(doc, path, op["value"]) if _pointer(path) and not isinstance(
            _parent(doc, _pointer(path)), list) else _replace_item(doc, path, op["value"])
    if kind in ("move", "copy"):
        value = _remove(doc, op.get("from")) if kind == "move" else \
            json.loads(json.dumps(_get(doc, op.get("from"))))
        return _add(doc, path, value)
    if kind == "test":
        if _get(doc, path) != op["value"]:
            raise PatchError(f"test failed at {path!r}")
        return doc
    raise PatchError(f"unknown JSON Patch op {kind!r}")


def _replace_item(doc: Any, path: Any, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    _parent(doc, parts)[int(parts[-1])] = value
    return doc


def json_patch(target: Any, patch: Any) -> Any:
    """RFC 6902: every operation applies, in order, or none does."""
    if not isinstance(patch, list):
        raise PatchError("a JSON Patch is an array of operations")
    doc = json.loads(json.dumps(target))
    for op in patch:
        doc = _operation(doc, op)
    return doc

