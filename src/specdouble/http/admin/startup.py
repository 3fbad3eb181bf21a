"""Admin state at start: journal size, fault RNG, ``--faults`` and ``--state`` files.

A bad file stops the server with a ValueError that names the file, the
item and every bad field (the CLI prints it), so CI fails fast and clearly.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from specdouble.data.seeding import derive_seed
from specdouble.faults import FaultRules, parse_rule
from specdouble.http import world
from specdouble.http.admin import records
from specdouble.http.admin.handlers import documented_statuses
from specdouble.http.runtime import Runtime
from specdouble.journal import Journal
from specdouble.problems import Problem


def _read(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"{what} file {path}: cannot read it ({err.strerror})") from err
    try:
        return yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as err:
        raise ValueError(f"{what} file {path}: not JSON or YAML: {err}") from err


def _explain(path: Path, what: str, where: str, problem: Problem) -> ValueError:
    details = "; ".join(problem.details) or problem.message
    return ValueError(f"{what} file {path}: {where}: {problem.message} {details}")


def load_faults(runtime: Runtime, path: Path) -> None:
    """A list of rules (or ``{"faults": [...]}``, as GET /__admin/faults answers)."""
    content = _read(path, "faults")
    if isinstance(content, dict) and "faults" in content:
        content = content["faults"]
    if not isinstance(content, list):
        raise ValueError(f"faults file {path}: expected a list of fault rules")
    documented = documented_statuses(runtime)
    rules = []
    for index, item in enumerate(content):
        if isinstance(item, dict):  # a listed rule carries server-kept fields: drop them
            item = {k: v for k, v in item.items()
                    if k not in ("id", "remaining", "hits") and v is not None}
        try:
            rules.append(parse_rule(item, runtime.faults.new_id(), documented))
        except Problem as problem:
            raise _explain(path, "faults", f"rule [{index}]", problem) from None
    for rule in rules:
        runtime.faults.add(rule)


def load_state(runtime: Runtime, path: Path) -> None:
    """One export (``{tenant, collections}``) or a list of them; unknown tenants are created."""
    content = _read(path, "state")
    documents = content if isinstance(content, list) else [content]
    checked = []
    for index, document in enumerate(documents):
        where = f"export [{index}]" if isinstance(content, list) else "export"
        tenant = document.get("tenant") if isinstance(document, dict) else None
        if not isinstance(tenant, str):
            raise ValueError(f"state file {path}: {where}: needs a 'tenant' name")
        try:
            world.check_name(tenant, "tenant")
            checked.append((tenant, records.check_state(document, runtime.specs)))
        except Problem as problem:
            raise _explain(path, "state", f"{where} (tenant {tenant})", problem) from None
    for tenant, data in checked:
        if not runtime.store.has_tenant(tenant):
            world.create(runtime, tenant)
        runtime.start_state[tenant] = data
        runtime.store.load_tenant(tenant, data)


def configure(runtime: Runtime) -> None:
    """Size the journal, seed the fault dice, load the start-up files of the settings."""
    settings = runtime.settings
    runtime.journal = Journal(settings.journal_size, settings.journal_body_limit)
    runtime.faults = FaultRules(random.Random(derive_seed(settings.seed, "faults")))
    if settings.faults_file is not None:
        load_faults(runtime, Path(settings.faults_file))
    if settings.state_file is not None:
        load_state(runtime, Path(settings.state_file))
