"""Admin state at start: journal size, fault RNG, ``--faults`` and ``--state`` files.

A bad file stops the server with a ValueError that names the file, the
item and every bad field (the CLI prints it), so CI fails fast and clearly.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from specdouble.state.base import TenantData
from specdouble.support.problems import Problem
from specdouble.support.seeds import derive_seed
from specdouble.world import tenants
from specdouble.world.faults import FaultRules, parse_rule
from specdouble.world.journal import Journal
from specdouble.world.runtime import Runtime


def _read(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"{what} file {path}: cannot read it ({err.strerror})") from err
    try:
        return yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as err:  # said in one line: where, and why
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = getattr(err, "problem", None) or "cannot be parsed"
        raise ValueError(f"{what} file {path}: not JSON or YAML: {reason}{where}") from err


def _explain(path: Path, what: str, where: str, problem: Problem) -> ValueError:
    details = "; ".join(problem.details) or problem.message
    return ValueError(f"{what} file {path}: {where}: {problem.message} {details}")


def read_faults(runtime: Runtime, path: Path) -> list[dict[str, Any]]:
    """A list of rules (or ``{"faults": [...]}``, as GET /__admin/faults answers), checked."""
    content = _read(path, "faults")
    if isinstance(content, dict) and "faults" in content:
        content = content["faults"]
    if not isinstance(content, list):
        raise ValueError(f"faults file {path}: expected a list of fault rules")
    documented = runtime.mocked_statuses()
    rules, bad = [], []
    for index, item in enumerate(content):
        if isinstance(item, dict):  # a listed rule carries server-kept fields: drop them
            item = {k: v for k, v in item.items()
                    if k not in ("id", "remaining", "hits") and v is not None}
        try:
            parse_rule(item, "fault-0", documented)
        except Problem as problem:
            bad.append(_explain(path, "faults", f"rule [{index}]", problem))
        rules.append(item)
    if len(bad) == 1:
        raise bad[0]
    if bad:  # every bad rule at once: one round of fixes, not one start per rule
        lines = "\n  ".join(str(error) for error in bad)
        raise ValueError(f"faults file {path}: {len(bad)} bad rules:\n  {lines}")
    return rules


def read_state(runtime: Runtime, path: Path) -> dict[str, TenantData]:
    """One export (``{tenant, collections}``) or a list of them, checked against the specs."""
    content = _read(path, "state")
    documents = content if isinstance(content, list) else [content]
    checked = {}
    for index, document in enumerate(documents):
        where = f"export [{index}]" if isinstance(content, list) else "export"
        tenant = document.get("tenant") if isinstance(document, dict) else None
        if not isinstance(tenant, str):
            raise ValueError(f"state file {path}: {where}: needs a 'tenant' name")
        try:
            tenants.check_name(tenant, "tenant")
            checked[tenant] = runtime.check_state(document)
        except Problem as problem:
            raise _explain(path, "state", f"{where} (tenant {tenant})", problem) from None
    return checked


def configure(runtime: Runtime) -> None:
    """Size the journal, seed the fault dice, read the start-up files and start the world.

    Every worker reads and checks the files (a reset goes back to the
    ``--state`` import); only the one that seeds the world writes them into it:
    unknown tenants of ``--state`` are created, ``--faults`` rules added.
    """
    settings = runtime.settings
    runtime.journal = Journal(settings.journal_size, settings.journal_body_limit,
                              runtime.shared)
    runtime.faults = FaultRules(random.Random(derive_seed(settings.seed, "faults")),
                                runtime.shared)
    rules = [] if settings.faults_file is None else read_faults(runtime,
                                                                 Path(settings.faults_file))
    if settings.state_file is not None:
        runtime.start_state.update(read_state(runtime, Path(settings.state_file)))

    def first_start() -> None:
        for tenant, data in runtime.start_state.items():
            if not runtime.store.has_tenant(tenant):
                tenants.create(runtime, tenant)
            runtime.store.load_tenant(tenant, data)
        documented = runtime.mocked_statuses()
        for rule in rules:
            runtime.faults.create(rule, documented)

    tenants.start(runtime, first_start)
