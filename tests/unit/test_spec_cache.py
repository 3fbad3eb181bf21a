"""The on-disk cache of resolved specs: read back on the next start, never stale, optional."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from specdouble import cli
from specdouble.spec import loader

SPEC = """\
openapi: 3.0.3
info: {title: cached, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
              example: {id: 1, made: 2020-01-02}
components:
  schemas:
    Thing: {type: object, properties: {id: {type: integer}, made: {type: string}}}
"""


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "cache"
    before = loader.cache_dir()
    loader.use_cache(folder)
    loader._load.cache_clear()
    yield folder
    loader.use_cache(before)
    loader._load.cache_clear()


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the spec was parsed again")
    monkeypatch.setattr(loader, "ResolvingParser", refuse)


def test_a_second_start_reads_the_resolved_spec_back(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _spec(tmp_path)
    first = loader.load_spec(path)
    assert len(list(cache.glob("*.pickle"))) == 1
    loader._load.cache_clear()  # as a new process would
    _no_parsing(monkeypatch)
    again = loader.load_spec(path)
    assert again == first
    # what the parser gave: refs resolved, the example as parsed
    response = again["paths"]["/things/{id}"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["type"] == "object"
    assert response["content"]["application/json"]["example"] == first["paths"][
        "/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["example"]


def test_the_cache_is_keyed_by_the_bytes_not_the_path(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _spec(tmp_path)
    assert loader.load_spec(path)["info"]["title"] == "cached"
    changed = SPEC.replace("title: cached", "title: changed")
    other = tmp_path / "other.yaml"
    other.write_text(changed)
    assert loader.load_spec(other)["info"]["title"] == "changed"
    assert len(list(cache.glob("*.pickle"))) == 2
    path.write_text(changed)  # the first file edited: its new bytes are other's
    loader._load.cache_clear()
    _no_parsing(monkeypatch)
    assert loader.load_spec(path)["info"]["title"] == "changed"


def test_a_damaged_or_foreign_cache_file_is_ignored(
        cache: Path, tmp_path: Path) -> None:
    path = _spec(tmp_path)
    loader.load_spec(path)
    (cached,) = cache.glob("*.pickle")
    cached.write_bytes(b"not a pickle")
    loader._load.cache_clear()
    assert loader.load_spec(path)["info"]["title"] == "cached"
    if os.getuid() == 0:  # as root the file can be given to another user
        os.chown(cached, 12345, 12345)
        loader._load.cache_clear()
        assert loader.load_spec(path)["info"]["title"] == "cached"


def test_no_folder_keeps_nothing_on_disk(tmp_path: Path) -> None:
    before = loader.cache_dir()
    loader.use_cache(None)
    loader._load.cache_clear()
    try:
        assert loader.load_spec(_spec(tmp_path))["info"]["title"] == "cached"
        assert list(tmp_path.iterdir()) == [tmp_path / "spec.yaml"]
    finally:
        loader.use_cache(before)
        loader._load.cache_clear()


@pytest.mark.parametrize("env, expected", [
    ({"SPECDOUBLE_CACHE_DIR": "off"}, None),
    ({"SPECDOUBLE_CACHE_DIR": "OFF", "XDG_CACHE_HOME": "/x"}, None),
    ({"SPECDOUBLE_CACHE_DIR": "/somewhere/else"}, Path("/somewhere/else")),
    ({"XDG_CACHE_HOME": "/xdg"}, Path("/xdg/specdouble")),
    ({}, Path.home() / ".cache" / "specdouble"),
])
def test_the_command_line_takes_the_folder_from_the_environment(
        env: dict[str, str], expected: Path | None) -> None:
    assert cli.spec_cache_dir(env) == expected
    assert cli.settings_from(cli.build_parser(env).parse_args(["serve"]), env).spec_cache \
        == expected


def test_an_unwritable_cache_is_no_error(cache: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    loader.use_cache(blocker / "below-a-file")
    assert loader.load_spec(_spec(tmp_path))["info"]["title"] == "cached"


def test_a_server_keeps_its_specs_in_the_folder_of_its_settings(tmp_path: Path) -> None:
    from specdouble.http.server import build_worker_app
    from specdouble.support.settings import Settings

    before = loader.cache_dir()
    loader._load.cache_clear()
    try:
        build_worker_app(Settings(spec_cache=tmp_path / "specs-cache"))
        kept = list((tmp_path / "specs-cache").glob("*.pickle"))
        assert len(kept) >= 4  # the services' specs and the admin API's
    finally:
        loader.use_cache(before)
        loader._load.cache_clear()
