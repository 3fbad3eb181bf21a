"""The arrows that must never exist, checked on the import statements."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

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


# --- import-linter: the layers and never-arrows of pyproject's [tool.importlinter] ---

ROOT = PACKAGE.parents[1]


def _tool(name: str) -> str:
    """A console script of the environment running the tests."""
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def lint_imports(cwd: Path, source: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run(
        [_tool("lint-imports"), "--no-logo", "--no-cache"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_part_of_the_package_is_in_the_layers_contract() -> None:
    """A new folder (or a new module of data/) must be placed in a layer, not left out."""
    contract = next(c for c in _importlinter()["contracts"] if c["id"] == "layers")
    named = {name.strip() for layer in contract["layers"]
             for name in layer.replace("|", ":").split(":")}
    parts = {p.stem for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    parts.discard("data")
    parts |= {f"data.{p.stem}" for p in (PACKAGE / "data").iterdir()
              if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert parts == named


def _importlinter() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]


# (file to write into, forbidden import, the contract that must catch it)
VIOLATIONS = [
    ("state/_bad.py", "import specdouble.http", "Layers, top to bottom"),
    ("state/_bad.py", "import prance", "state/ knows no rules"),
    ("domain/_bad.py", "import faker", "domain/ uses no Faker"),
    ("world/_bad.py", "import starlette", "Nothing below http/ imports a web framework"),
    ("support/_bad.py", "import specdouble.world", "support/ imports nothing else"),
    ("query/_bad.py", "import specdouble.services", "never import a descriptor"),
    ("http/middleware.py", "import specdouble.domain.pickpack", "never import a descriptor"),
]


@pytest.mark.parametrize(("where", "statement", "contract"), VIOLATIONS)
def test_the_contracts_have_teeth(
    tmp_path: Path, where: str, statement: str, contract: str
) -> None:
    """A copy of the package with one forbidden import added fails the check."""
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source / "specdouble",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = source / "specdouble" / where
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(before + f"\n{statement}\n", encoding="utf-8")
    result = lint_imports(tmp_path, source)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout


def test_mypy_is_clean() -> None:
    """``mypy`` with pyproject's [tool.mypy] finds no error in src/specdouble."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True,
        timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- vendor names stay in the vendor modules ---

VENDOR = re.compile(
    r"emporix|shopatron|pick[-_ ]?pack|\boms\b|saas|apigee|kibo|customer[-_ ]management",
    re.IGNORECASE,
)
# The modules that are about one vendor's services; everything else is generic.
VENDOR_MODULES = (
    "domain/pickpack.py", "domain/contacts.py", "domain/shopatron.py", "domain/saas_token.py",
    "data/seeders/", "http/handlers/", "services/",
)
# Public names that carry a vendor word and cannot change without breaking their
# users: the command-line flag and the setting it fills, the plugin's token attribute.
PUBLIC_NAMES = {
    "cli.py": ("--strict-saas-token", '"strict-saas-token"', "strict_saas_token"),
    "support/settings.py": ("strict_saas_token",),
    "testing/plugin.py": ('shopatron: str = "shopatron-test"',),
}


def generic_modules() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py"))
            if not path.relative_to(PACKAGE).as_posix().startswith(VENDOR_MODULES)]


def test_the_vendor_modules_exist() -> None:
    for name in VENDOR_MODULES:
        assert (PACKAGE / name).exists(), name


@pytest.mark.parametrize("path", generic_modules(),
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_generic_modules_name_no_vendor(path: Path) -> None:
    """Code, docstrings and comments of a generic module name no vendor or vendor service."""
    relative = path.relative_to(PACKAGE).as_posix()
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for name in PUBLIC_NAMES.get(relative, ()):
            line = line.replace(name, "")
        found += [f"{relative}:{number}: {line.strip()}" for _ in VENDOR.finditer(line)][:1]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "path", [p for p in files("http") if p.name != "__init__.py"],
    ids=lambda p: p.relative_to(PACKAGE).as_posix(),
)
def test_every_http_module_speaks_http(path: Path) -> None:
    """A module without Connexion, Starlette or uvicorn belongs to a layer below http/."""
    web = {n for n in imports(path) if n.split(".")[0] in {"connexion", "starlette", "uvicorn"}}
    assert web, f"{path.relative_to(PACKAGE)} imports no web framework: move it below http/"
