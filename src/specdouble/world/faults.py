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
from typing import Any

from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.support.problems import bad_request

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


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_rule(
    data: Any, rule_id: str, documented: Mapping[str, set[int]] | None = None
) -> FaultRule:
    """A rule from its JSON form, or a 400 Problem naming every bad field.

    ``documented`` maps operationId -> statuses its operation documents; when
    given, an unknown operationId or an undocumented ``status`` for it is refused.
    """
    if not isinstance(data, Mapping):
        raise bad_request("A fault rule must be a JSON object.", "body: not an object")
    errors: list[str] = []
    unknown = sorted(set(data) - set(_FIELDS))
    errors += [f"body.{name}: unknown field; known: {', '.join(_FIELDS)}" for name in unknown]

    def text(name: str) -> str | None:
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            errors.append(f"body.{name}: must be a non-empty string")
            return None
        return value

    operation_id, method, path, tenant = (text(n) for n in ("operationId", "method", "path",
                                                             "tenant"))
    if method is not None:
        method = method.upper()
        if method not in METHODS:
            errors.append(f"body.method: {method!r} is not one of {', '.join(METHODS)}")
    if path is not None and not path.startswith(("/", "*")):
        errors.append("body.path: a path glob starts with '/' or '*'")
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)
                               or not 400 <= status <= 599):
        errors.append("body.status: must be an HTTP error status 400..599 "
                      "(force success answers with the Prefer header)")
        status = None
    delay = data.get("delayMs", 0)
    if delay is None:
        delay = 0
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY_MS:
        errors.append(f"body.delayMs: must be an integer 0..{MAX_DELAY_MS}")
        delay = 0
    fault = data.get("fault")
    if fault is not None and fault not in KINDS:
        errors.append(f"body.fault: must be one of {', '.join(KINDS)}")
    probability = data.get("probability", 1.0)
    if probability is None:
        probability = 1.0
    if not _number(probability) or not 0 <= probability <= 1:
        errors.append("body.probability: must be a number 0..1")
        probability = 1.0
    times = data.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool)
                              or times < 1):
        errors.append("body.times: must be a positive integer (omit it for no limit)")
        times = None
    if status is None and fault is None and not delay and not errors:
        errors.append("body: a rule needs at least one of status, delayMs, fault")
    if status is not None and fault is not None:
        errors.append("body.fault: a dropped connection cannot also answer a status")
    if documented is not None and operation_id is not None:
        if operation_id not in documented:
            errors.append(f"body.operationId: no operation {operation_id!r} is mocked")
        elif status is not None and status not in documented[operation_id]:
            listed = ", ".join(str(s) for s in sorted(documented[operation_id]))
            errors.append(f"body.status: {operation_id} does not document {status}; "
                          f"it documents {listed}")
    if errors:
        raise bad_request("Invalid fault rule.", *errors)
    return FaultRule(
        id=rule_id, operation_id=operation_id, method=method, path=path, tenant=tenant,
        status=status, delay_ms=delay, fault=fault, probability=float(probability),
        times=times, remaining=times,
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
