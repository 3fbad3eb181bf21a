"""The inference rules on small specs: what is a collection, its item path, its id property."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from specdouble.spec.documents import load_document
from specdouble.spec.resources import infer
from tests.stateful.conftest import SPECS

OBJ = {"type": "object"}


def _ok(schema: Any) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def _body(schema: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _infer(tmp_path: Path, paths: dict[str, Any]) -> Any:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                                    "paths": paths}))
    return infer(load_document(spec))


THING = {"type": "object", "properties": {"thingId": {"type": "string"},
                                          "id": {"type": "integer"},
                                          "tags": {"type": "array", "items": {"type": "string"}}}}
ITEM = {"get": {"responses": _ok(THING)}, "delete": {"responses": {"204": {"description": "x"}}},
        "post": {"requestBody": _body(OBJ), "responses": _ok(THING)}}


def test_the_id_is_named_like_the_item_parameter_first(tmp_path: Path) -> None:
    found = _infer(tmp_path, {"/things": {"get": {"responses": _ok({"type": "array",
                                                                     "items": THING})}},
                              "/things/{thingId}": ITEM})
    (things,) = found.collections
    assert (things.path, things.item_path, things.id_property) == \
        ("/things", "/things/{thingId}", "thingId")
    # the item's POST (an action) and its one array property (tags) make no collection
    assert set(things.operations) == {"list", "read", "delete"}
    assert found.warnings == ()


def test_id_else_first_read_only(tmp_path: Path) -> None:
    record = {"type": "object", "properties": {"name": {"type": "string"},
                                               "code": {"type": "string", "readOnly": True},
                                               "ref": {"type": "string", "readOnly": True}}}
    found = _infer(tmp_path, {"/a": {"post": {"requestBody": _body(record),
                                              "responses": {"201": _ok(record)["200"]}}},
                              "/a/{key}": {"get": {"responses": _ok(record)}}})
    assert found.collections[0].id_property == "code"
    with_id = {"type": "object", "properties": {**record["properties"], "id": {"type": "string"}}}
    found = _infer(tmp_path, {"/a": {"post": {"requestBody": _body(with_id),
                                              "responses": _ok(with_id)}}})
    assert found.collections[0].id_property == "id"


def test_a_post_alone_makes_a_collection_a_get_alone_of_an_object_not(tmp_path: Path) -> None:
    record = {"type": "object", "properties": {"id": {"type": "integer"}}}
    found = _infer(tmp_path, {"/made": {"post": {"requestBody": _body(record),
                                                 "responses": _ok(record)}},
                              "/single": {"get": {"responses": _ok(record)}}})
    assert [c.path for c in found.collections] == ["/made"]
    assert set(found.collections[0].operations) == {"create"}


def test_two_array_properties_are_ambiguous(tmp_path: Path) -> None:
    wrapper = {"type": "object", "properties": {
        "a": {"type": "array", "items": THING}, "b": {"type": "array", "items": THING}}}
    found = _infer(tmp_path, {"/x": {"get": {"responses": _ok(wrapper)}}})
    assert found.collections == ()
    assert len(found.warnings) == 1 and "GET /x" in found.warnings[0]
    assert "ambiguous" in found.warnings[0]


def test_no_id_property_is_reported(tmp_path: Path) -> None:
    plain = {"type": "object", "properties": {"name": {"type": "string"}}}
    found = _infer(tmp_path, {"/n": {"get": {"responses": _ok({"type": "array",
                                                                "items": plain})}}})
    assert found.collections == ()
    assert "no id property" in found.warnings[0]


def test_the_cli_banner_lists_what_was_inferred() -> None:
    """`specdouble mock --stateful SPEC` parses (the flag takes no SPEC as its value)."""
    from specdouble.cli import build_parser, prism_argv

    args = build_parser({}).parse_args(prism_argv(["mock", "--stateful",
                                                 str(SPECS / "library30.yaml")]))
    assert args.stateful is True and args.specs == [str(SPECS / "library30.yaml")]
    refused = subprocess.run([sys.executable, "-m", "specdouble", "mock", "--stateful",
                              "--workers", "2", str(SPECS / "library30.yaml")],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "needs --state-url" in refused.stderr


def test_the_banner_and_the_warnings_at_start_up() -> None:
    from tests.redisserver import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "specdouble", "mock", "--stateful",
                                "-p", str(port), str(SPECS / "library20.yaml")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        while process.stdout is not None:
            line = process.stdout.readline()
            lines.append(line)
            if not line or "is listening on" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = "".join(lines)
    assert "warning:" in text and "GET /reports" in text and "ambiguous" in text
    assert "[mock] stateful /books (id: id, integer): list GET /books, create POST /books" in text
    assert "[mock] stateful /shelves/{shelf}/volumes (id: volumeId, string)" in text
    assert f"GET http://127.0.0.1:{port}/__admin/collections" in text
