"""Generated user specs for the `specdouble mock` scenarios: N operations, one shape.

Every resource ``/r{k}/items`` has five operations (list, create, read, replace,
delete) with schemas, examples, a validated query parameter and an integer path
parameter, the way a real CRUD spec looks. The last operation declared is the
read of the last resource, so a router that scans in order pays the most there:
the bench sends its requests to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPERATIONS_PER_RESOURCE = 5

ITEM = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "integer", "readOnly": True, "minimum": 1},
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "price": {"type": "number", "minimum": 0, "default": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    },
}
EXAMPLE = {"id": 7, "name": "widget", "price": 9.5, "tags": ["blue"]}


def _json(schema: dict[str, Any], example: Any | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _resource(k: int) -> dict[str, Any]:
    item = {"$ref": "#/components/schemas/Item"}
    item_id = {"name": "itemId", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1}}
    missing = {"description": "no such item",
               "content": _json({"type": "object", "properties": {"message": {"type": "string"}}},
                                {"message": "not found"})}
    collection = {
        "get": {"operationId": f"listItems{k}",
                "parameters": [{"name": "limit", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                               {"name": "offset", "in": "query",
                                "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "the items",
                                      "content": _json({"type": "array", "items": item},
                                                       [EXAMPLE])}}},
        "post": {"operationId": f"createItem{k}",
                 "requestBody": {"required": True, "content": _json(item)},
                 "responses": {"201": {"description": "created",
                                       "content": _json(item, EXAMPLE)},
                               "422": {"description": "invalid"}}},
    }
    member = {
        "parameters": [item_id],
        "put": {"operationId": f"replaceItem{k}",
                "requestBody": {"required": True, "content": _json(item)},
                "responses": {"200": {"description": "replaced", "content": _json(item, EXAMPLE)},
                              "404": missing}},
        "delete": {"operationId": f"deleteItem{k}",
                   "responses": {"204": {"description": "deleted"}, "404": missing}},
        "get": {"operationId": f"getItem{k}",
                "responses": {"200": {"description": "the item", "content": _json(item, EXAMPLE)},
                              "404": missing}},
    }
    return {f"/r{k}/items": collection, f"/r{k}/items/{{itemId}}": member}


def spec(operations: int) -> dict[str, Any]:
    """An OpenAPI 3.0 document with ``operations`` operations (rounded up to 5)."""
    resources = max(1, -(-operations // OPERATIONS_PER_RESOURCE))
    paths: dict[str, Any] = {}
    for k in range(resources):
        paths.update(_resource(k))
    return {"openapi": "3.0.3",
            "info": {"title": f"Generated, {resources * OPERATIONS_PER_RESOURCE} operations",
                     "version": "1.0.0"},
            "paths": paths,
            "components": {"schemas": {"Item": ITEM}}}


def last_resource(operations: int) -> int:
    """The index of the last resource: the one whose read is declared last."""
    return max(1, -(-operations // OPERATIONS_PER_RESOURCE)) - 1


def file_name(operations: int) -> str:
    return f"generated-{operations}.json"


def write(operations: int, directory: Path) -> Path:
    """Write the spec as JSON (Prism and specdouble read it alike); its path."""
    path = directory / file_name(operations)
    path.write_text(json.dumps(spec(operations), indent=1))
    return path
