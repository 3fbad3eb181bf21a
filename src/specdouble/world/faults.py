"""Fault rules: which requests misbehave, how, how often and how many times.

Protocol-agnostic: a rule matches a request described by operationId,
method, path and tenant, and says what to do (answer ``status``, wait
``delayMs``, drop the connection). The HTTP edge asks :meth:`FaultRules.pick`
once per request and carries the answer out. Rules live in the server
state (shared by workers when it is) and apply in creation order: the first
rule that matches and wins its ``probability`` roll applies, and its
``times`` counts down to expiry. A fault never touches tenants' data.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from jsonschema.protocols import Validator

from specdouble.data.validation import schema_validator
from specdouble.spec.loader import load_spec
from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.support.problems import Problem, bad_request
from specdouble.support.resources import specs_dir

CONNECTION_RESET = "connection_reset"
EMPTY_RESPONSE = "empty_response"
KINDS = (CONNECTION_RESET, EMPTY_RESPONSE)
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
MAX_DELAY_MS = 600_000

_FIELDS = ("operationId", "method", "path", "tenant", "status", "delayMs", "fault",
           "probability", "times")


@dataclass(frozen=True)
class FaultRule:
    """A rule; ``remaining`` is None for unlimited, ``hits`` counts applications."""

    id: str
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    tenant: str | None = None
    status: int | None = None
    delay_ms: int = 0
    fault: str | None = None
    probability: float = 1.0
    times: int | None = None
    remaining: int | None = None
    hits: int = 0

    def matches(self, operation_id: str | None, method: str, path: str,
                tenant: str | None) -> bool:
        return (
            (self.operation_id is None or self.operation_id == operation_id)
            and (self.method is None or self.method == method.upper())
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
            and (self.tenant is None or self.tenant == tenant)
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        return cls(
            id=data["id"], operation_id=data["operationId"], method=data["method"],
            path=data["path"], tenant=data["tenant"], status=data["status"],
            delay_ms=data["delayMs"], fault=data["fault"], probability=data["probability"],
            times=data["times"], remaining=data["remaining"], hits=data["hits"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operationId": self.operation_id,
            "method": self.method,
            "path": self.path,
            "tenant": self.tenant,
            "status": self.status,
            "delayMs": self.delay_ms,
            "fault": self.fault,
            "probability": self.probability,
            "times": self.times,
            "remaining": self.remaining,
            "hits": self.hits,
        }


# The admin API's own schema of a new rule (specs/admin.yaml) checks each field;
# parse_rule adds what a schema cannot say and words each field's problem.
ADMIN_SPEC = "admin.yaml"
RULE_SCHEMA = "FaultRuleInput"

_NON_EMPTY = "must be a non-empty string"
_MESSAGES = {
    "operationId": _NON_EMPTY,
    "path": _NON_EMPTY,
    "tenant": _NON_EMPTY,
    "status": "must be an HTTP error status 400..599 "
              "(force success answers with the Prefer header)",
    "delayMs": f"must be an integer 0..{MAX_DELAY_MS}",
    "fault": f"must be one of {', '.join(KINDS)}",
    "probability": "must be a number 0..1",
    "times": "must be a positive integer (omit it for no limit)",
}


@lru_cache(maxsize=1)
def _rule_validator() -> Validator:
    spec = load_spec(specs_dir() / ADMIN_SPEC)
    return schema_validator(spec["components"]["schemas"][RULE_SCHEMA], spec, mode="request")


def _invalid_fields(given: Mapping[str, Any]) -> set[str]:
    """The known fields the schema refuses (unknown ones are reported apart)."""
    return {str(error.path[0]) for error in _rule_validator().iter_errors(given)
            if error.path and error.path[0] in _FIELDS}


def _message(name: str, value: Any) -> str:
    if name == "method":
        if isinstance(value, str) and value:
            return f"{value!r} is not one of {', '.join(METHODS)}"
        return _NON_EMPTY
    return _MESSAGES[name]


def _rule_checks(rule: Mapping[str, Any], documented: Mapping[str, set[int]] | None,
                 valid_so_far: bool) -> list[str]:
    """What the schema cannot say: globs, combinations, the served operations."""
    errors = []
    path, status, fault = rule.get("path"), rule.get("status"), rule.get("fault")
    if path is not None and not path.startswith(("/", "*")):
        errors.append("body.path: a path glob starts with '/' or '*'")
    if status is None and fault is None and not rule.get("delayMs") and valid_so_far:
        errors.append("body: a rule needs at least one of status, delayMs, fault")
    if status is not None and fault is not None:
        errors.append("body.fault: a dropped connection cannot also answer a status")
    operation_id = rule.get("operationId")
    if documented is not None and operation_id is not None:
        if operation_id not in documented:
            errors.append(f"body.operationId: no operation {operation_id!r} is mocked")
        elif status is not None and status not in documented[operation_id]:
            listed = ", ".join(str(s) for s in sorted(documented[operation_id]))
            errors.append(f"body.status: {operation_id} does not document {status}; "
                          + (f"it documents {listed}" if listed else
                             "it documents no error status (a path rule may answer any)"))
    return errors


def parse_rule(
    data: Any, rule_id: str, documented: Mapping[str, set[int]] | None = None
) -> FaultRule:
    """A rule from its JSON form, or a 400 Problem naming every bad field.

    A null field is an absent one; ``method`` is taken in any case.
    ``documented`` maps operationId -> statuses its operation documents; when
    given, an unknown operationId or an undocumented ``status`` for it is refused.
    """
    if not isinstance(data, Mapping):
        raise bad_request("A fault rule must be a JSON object.", "body: not an object")
    given = {name: value for name, value in data.items() if value is not None}
    if isinstance(given.get("method"), str):
        given["method"] = given["method"].upper()
    errors = [f"body.{name}: unknown field; known: {', '.join(_FIELDS)}"
              for name in sorted(set(data) - set(_FIELDS))]
    invalid = _invalid_fields(given)
    errors += [f"body.{name}: {_message(name, given[name])}" for name in _FIELDS
               if name in invalid]
    rule = {name: given[name] for name in _FIELDS if name in given and name not in invalid}
    errors += _rule_checks(rule, documented, valid_so_far=not errors)
    if errors:
        raise bad_request("Invalid fault rule.", *errors)
    times = rule.get("times")
    return FaultRule(
        id=rule_id, operation_id=rule.get("operationId"), method=rule.get("method"),
        path=rule.get("path"), tenant=rule.get("tenant"), status=rule.get("status"),
        delay_ms=rule.get("delayMs", 0), fault=rule.get("fault"),
        probability=float(rule.get("probability", 1.0)), times=times, remaining=times,
    )


def _number_of(rule_id: str) -> int:
    return int(rule_id.rpartition("-")[2])


class FaultRules:
    """The active rules, kept in the server state; ``rng`` decides probabilities.

    A rule's definition sits in a table and its applications in a counter of
    their own, so with a shared server state every worker counts ``times``
    down exactly once: the application that takes the counter past ``times``
    does not apply, and the one that reaches it removes the rule.
    """

    TABLE = "faults"
    IDS = "fault-ids"

    def __init__(self, rng: random.Random | None = None,
                 shared: ServerState | None = None) -> None:
        self.rng = rng or random.Random(0)
        self.shared: ServerState = shared or MemoryServerState()

    @staticmethod
    def _uses(rule_id: str) -> str:
        return f"fault-uses:{rule_id}"

    def new_id(self) -> str:
        return f"fault-{self.shared.add(self.IDS)}"

    def add(self, rule: FaultRule) -> FaultRule:
        self.shared.put(self.TABLE, rule.id, rule.to_json())
        return rule

    def create(self, data: Any, documented: Mapping[str, set[int]] | None = None) -> FaultRule:
        """Parse and add a rule (a 400 Problem if invalid)."""
        return self.add(parse_rule(data, self.new_id(), documented))

    def definitions(self) -> list[FaultRule]:
        """Every rule as defined, in creation order, without its use counts."""
        found = self.shared.items(self.TABLE)
        return [FaultRule.from_json(found[key]) for key in sorted(found, key=_number_of)]

    def list(self) -> list[FaultRule]:
        out = []
        for rule in self.definitions():
            uses = self.shared.value(self._uses(rule.id))
            remaining = None if rule.times is None else max(rule.times - uses, 0)
            out.append(replace(rule, remaining=remaining, hits=uses))
        return out

    def delete(self, rule_id: str) -> bool:
        deleted = self.shared.delete(self.TABLE, rule_id)
        self.shared.drop_counter(self._uses(rule_id))
        return deleted

    def clear(self) -> int:
        rules = self.definitions()
        count = self.shared.clear(self.TABLE)
        for rule in rules:
            self.shared.drop_counter(self._uses(rule.id))
        return count

    def __len__(self) -> int:
        return len(self.shared.items(self.TABLE))

    def scratch(self) -> FaultRules:
        """A private copy (rules, use counts, random state) for a dry run: differential mode
        serves a request twice, and only the run that counts may use up a rule."""
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        copy = FaultRules(rng=rng)
        for rule in self.definitions():
            copy.add(rule)
            uses = self.shared.value(self._uses(rule.id))
            if uses:
                copy.shared.add(self._uses(rule.id), uses)
        return copy

    def pick(self, operation_id: str | None, method: str, path: str, tenant: str | None,
             among: Sequence[FaultRule] | None = None) -> FaultRule | None:
        """The rule to apply to this request (counted down), or None.

        ``among``: the :meth:`definitions` the caller read already (one read per request).
        """
        for rule in self.definitions() if among is None else among:
            if not rule.matches(operation_id, method, path, tenant):
                continue
            if rule.probability < 1 and self.rng.random() >= rule.probability:
                continue
            uses = self.shared.add(self._uses(rule.id))
            if rule.times is not None:
                if uses > rule.times:
                    continue  # another worker applied its last time meanwhile
                if uses == rule.times:
                    self.shared.delete(self.TABLE, rule.id)
            remaining = None if rule.times is None else rule.times - uses
            return replace(rule, remaining=remaining, hits=uses)
        return None


def fault_problem(rule: FaultRule, operation_id: str | None) -> Problem:
    """The error a status fault answers (rendered in the owning service's error shape)."""
    return Problem(rule.status or 500,
                   f"Fault injected by specdouble rule {rule.id}.",
                   [f"fault: rule {rule.id} answers {rule.status} for {operation_id}"])
