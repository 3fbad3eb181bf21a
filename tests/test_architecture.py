"""The arrows that must never exist, checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "specdouble"
WEB = ("connexion", "starlette", "uvicorn", "specdouble.http", "specdouble.http.app")
CORE = ["domain", "query", "state", "data", "support", "spec", "world", "engine"]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def files(part: str) -> list[Path]:
    target = PACKAGE / part
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("part", CORE)
def test_core_knows_no_http(part: str) -> None:
    for path in files(part):
        bad = {name for name in imports(path) if name.startswith(WEB)}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_domain_uses_no_faker_and_reads_no_specs() -> None:
    for path in files("domain"):
        bad = {n for n in imports(path) if n.startswith(("faker", "specdouble.spec", "prance"))}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_state_knows_no_rules_or_openapi() -> None:
    for path in files("state"):
        bad = {n for n in imports(path)
               if n.startswith(("specdouble.domain", "specdouble.spec", "openapi", "prance"))}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_only_cli_reads_the_environment() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name in {"cli.py"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path.relative_to(PACKAGE)


def test_handlers_build_no_error_bodies() -> None:
    for path in files("http/handlers"):
        text = path.read_text(encoding="utf-8")
        for shape in ('"detailInfo"', '"fault"', '"errorcode"'):
            assert shape not in text, f"{path.name} builds an error body"
