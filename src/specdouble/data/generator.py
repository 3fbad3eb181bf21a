"""Schema-aware data generation: one way to make data that fits a spec.

``SchemaDataGenerator(seed).generate(schema, root=spec)`` returns a value
that validates against an OpenAPI 3.0 schema (types, formats, enums,
patterns, lengths, bounds, multipleOf, required/optional properties,
additionalProperties, arrays, allOf/oneOf/anyOf, nullable, local $refs,
readOnly/writeOnly), with realistic Faker values chosen by property name.

Why it is built this way:

- Deterministic: each generator owns its Faker and ``random.Random``, so the
  same seed and the same sequence of calls give identical output, whatever
  else runs in the process. No wall clock is read.
- Always valid or loudly not: constraints are met constructively where that
  is easy; every candidate is then checked against the original schemas with
  the same OAS 3.0 validator clients use, and generation retries a bounded
  number of times. If a schema is unsatisfiable :class:`GenerationError` is
  raised instead of returning invalid data.
- Always terminates: recursion depth is bounded (optional properties and
  array items stop at ``max_depth``), regex repeats are bounded and every
  retry loop has a fixed budget.

Used for ``Prefer: dynamic=true`` bodies and for fixture generation.
"""

from __future__ import annotations

import base64
import math
import random
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import partial
from typing import Any

from faker import Faker
from jsonschema.exceptions import best_match

from specdouble.data import faker_hints
from specdouble.data.regex_gen import RegexGenerationError, generate_matching
from specdouble.data.schema_ops import SchemaError, effective, merge
from specdouble.data.validation import Mode, schema_validator

__all__ = ["GenerationError", "SchemaDataGenerator"]

_INT_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# Beyond this many levels past max_depth only required structure remains; a
# schema that still recurses there can never end (e.g. A requires an A).
_HARD_DEPTH_MARGIN = 16


class GenerationError(ValueError):
    """No valid value was found for a schema within the retry budget."""


class _EndlessRecursion(GenerationError):
    """Required structure nests past the hard limit: no branch retry can help."""


# Branch retries per generate() call: nested oneOfs retry multiplicatively, so
# an unsatisfiable deep schema must not take exponential time to give up.
_CHOICE_BUDGET = 2000


def _time(f: Faker, r: random.Random) -> str:
    return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"


def _byte(f: Faker, r: random.Random) -> str:
    return base64.b64encode(r.randbytes(r.randint(3, 24))).decode("ascii")


_FORMATS: dict[str, Callable[[Faker, random.Random], str]] = {
    "date-time": faker_hints.date_time,
    "date": faker_hints.date,
    "time": _time,
    "email": lambda f, r: f.email(),
    "idn-email": lambda f, r: f.email(),
    "uuid": lambda f, r: f.uuid4(),
    "uri": lambda f, r: f.url(),
    "url": lambda f, r: f.url(),
    "iri": lambda f, r: f.url(),
    "uri-reference": lambda f, r: f.uri_path(),
    "hostname": lambda f, r: f.domain_name(),
    "idn-hostname": lambda f, r: f.domain_name(),
    "ipv4": lambda f, r: f.ipv4(),
    "ipv6": lambda f, r: f.ipv6(),
    "byte": _byte,
    "binary": lambda f, r: f.pystr(min_chars=8, max_chars=24),
    "password": lambda f, r: f.password(length=12),
    "regex": lambda f, r: "^[a-z]+$",
}


_CACHE_LIMIT = 4096  # schemas remembered per root document; cleared when exceeded


class _Run:
    """Context for one root document and mode, with caches keyed by schema identity.

    It lives across calls (flattening schemas and building validators is most
    of the cost), so the schemas handed in must not be mutated afterwards.
    """

    def __init__(self, root: Mapping[str, Any], mode: Mode) -> None:
        self.root = root
        self.mode = mode
        # Values keep the schema object alive, so its id() cannot be reused.
        self._effective: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        self._validators: dict[int, tuple[Mapping[str, Any], Any]] = {}

    def effective(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        hit = self._effective.get(id(schema))
        if hit is None or hit[0] is not schema:
            if len(self._effective) > _CACHE_LIMIT:
                self._effective.clear()
            hit = (schema, effective(schema, self.root))
            self._effective[id(schema)] = hit
        return hit[1]

    def validator(self, schema: Mapping[str, Any]) -> Any:
        hit = self._validators.get(id(schema))
        if hit is None or hit[0] is not schema:
            if len(self._validators) > _CACHE_LIMIT:
                self._validators.clear()
            hit = (schema, schema_validator(schema, self.root, self.mode))
            self._validators[id(schema)] = hit
        return hit[1]

    def valid(self, eff: Mapping[str, Any], value: Any) -> bool:
        """Exact check: every original schema behind ``eff`` accepts ``value``."""
        return all(self.validator(src).is_valid(value) for src in eff["_sources"])


class SchemaDataGenerator:
    """Seeded generator of schema-valid, realistic data.

    ``max_depth`` bounds nesting for optional content; ``optional_probability``
    is the chance an optional property is included; ``null_probability`` the
    chance a nullable value is ``None``.
    """

    def __init__(
        self,
        seed: int,
        *,
        locale: str = "en_US",
        max_depth: int = 4,
        optional_probability: float = 0.7,
        null_probability: float = 0.1,
        attempts: int = 25,
    ) -> None:
        self.faker = Faker(locale)
        self.faker.seed_instance(seed)
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        self.optional_probability = optional_probability
        self.null_probability = null_probability
        self.attempts = attempts
        self._runs: list[_Run] = []
        self._choice_budget = _CHOICE_BUDGET

    def generate(
        self,
        schema: Mapping[str, Any],
        root: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        mode: Mode = "response",
    ) -> Any:
        """A value valid for ``schema``; local ``$ref``s resolve against ``root``.

        ``name`` is the property name the value is for (drives realistic
        values, e.g. ``"email"``). ``mode="response"`` leaves out writeOnly
        properties, ``mode="request"`` leaves out readOnly ones.
        Raises :class:`GenerationError` if the schema cannot be satisfied.
        """
        run = self._run(root if root is not None else schema, mode)
        self._choice_budget = _CHOICE_BUDGET
        try:
            check = run.validator(schema)
            value: Any = None
            for _ in range(self.attempts):
                value = self._value(run, schema, name, 0)
                if check.is_valid(value):
                    return value
        except (SchemaError, RegexGenerationError, RecursionError) as exc:
            raise GenerationError(str(exc)) from exc
        error = best_match(check.iter_errors(value))
        where = "/".join(str(p) for p in error.absolute_path) if error else ""
        raise GenerationError(f"no valid value generated; at '{where}': {error and error.message}")

    def _run(self, root: Mapping[str, Any], mode: Mode) -> _Run:
        for run in self._runs:
            if run.root is root and run.mode == mode:
                return run
        run = _Run(root, mode)
        self._runs = [run, *self._runs[:7]]  # a few documents (specs) at a time
        return run

    # -- dispatch ---------------------------------------------------------

    def _value(self, run: _Run, schema: Mapping[str, Any], name: str | None, depth: int) -> Any:
        return self._from_effective(run, run.effective(schema), name, depth)

    def _from_effective(self, run: _Run, eff: dict[str, Any], name: str | None, depth: int) -> Any:
        if depth > self.max_depth + _HARD_DEPTH_MARGIN:
            raise _EndlessRecursion("schema recursion does not terminate (required cycle)")
        if eff["_choices"]:
            return self._choose(run, eff, name, depth)
        if eff.get("nullable"):
            wants_null = self.rng.random() < self.null_probability or depth >= self.max_depth
            if wants_null and run.valid(eff, None):
                return None
        if "enum" in eff:
            return self._enum(run, eff)
        kind = eff.get("type") or self._infer_type(eff, name)
        if kind == "object":
            return self._object(run, eff, name, depth)
        if kind == "array":
            return self._array(run, eff, name, depth)
        if kind == "integer":
            return self._integer(run, eff, name)
        if kind == "number":
            return self._number(run, eff, name)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self._string(run, eff, name)

    @staticmethod
    def _infer_type(eff: Mapping[str, Any], name: str | None) -> str:
        """A type for schemas that omit it, from the keywords they use."""
        if any(
            k in eff
            for k in (
                "properties",
                "additionalProperties",
                "required",
                "minProperties",
                "maxProperties",
            )
        ):
            return "object"
        if any(k in eff for k in ("items", "minItems", "maxItems", "uniqueItems")):
            return "array"
        if eff.get("format") in _INT_FORMATS:
            return "integer"
        if any(k in eff for k in ("minimum", "maximum", "multipleOf")) or eff.get("format") in (
            "float",
            "double",
        ):
            return "number"
        return "string"

    def _choose(self, run: _Run, eff: dict[str, Any], name: str | None, depth: int) -> Any:
        """Pick a branch of each oneOf/anyOf; retry until exactly the right ones match."""
        base = {**eff, "_choices": []}
        value: Any = None
        for _ in range(self.attempts):
            if self._choice_budget <= 0:
                break
            self._choice_budget -= 1
            merged = base
            tags: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
            for _keyword, branches, discriminator in eff["_choices"]:
                branch = branches[self.rng.randrange(len(branches))]
                merged = merge(merged, run.effective(branch))
                if discriminator and "$ref" in branch:
                    tags.append((discriminator, branch))
            try:
                value = self._from_effective(run, merged, name, depth)
            except _EndlessRecursion:
                raise
            except GenerationError:
                continue  # this branch cannot be satisfied; try another
            if isinstance(value, dict):
                for discriminator, branch in tags:
                    value[discriminator["propertyName"]] = _discriminator_value(
                        discriminator, branch["$ref"]
                    )
            if run.valid(eff, value):
                return value
        return value

    def _enum(self, run: _Run, eff: Mapping[str, Any]) -> Any:
        options = [v for v in eff["enum"] if run.valid(eff, v)]
        if not options:
            raise GenerationError(f"no enum value satisfies the schema: {eff['enum']!r}")
        return self.rng.choice(options)

    # -- strings ------------------------------------------------------------

    def _string(self, run: _Run, eff: Mapping[str, Any], name: str | None) -> str:
        f, r = self.faker, self.rng
        lo = int(eff.get("minLength", 0))
        hi = eff.get("maxLength")
        producers: list[Callable[[], str]] = []
        fmt = eff.get("format")
        if fmt in _FORMATS:
            producers += [lambda: _FORMATS[fmt](f, r)] * 3
            if fmt in ("email", "idn-email"):
                producers.append(lambda: _short_email(lo, hi, f))
        else:
            producers += [partial(p, f, r) for p in faker_hints.string_hints(name)]
        for pattern in eff["_patterns"]:
            producers += [
                partial(generate_matching, pattern, r, min_length=lo, max_length=hi)
            ] * 3
        if fmt not in _FORMATS and not eff["_patterns"]:
            hinted = [p for p in faker_hints.string_hints(name)]
            producers += [partial(_fit_hint, p, f, r, lo, hi) for p in hinted]
            producers += [lambda: _fit(f.word(), lo, hi, f)] * 2
        last = ""
        for produce in producers:
            try:
                last = produce()
            except RegexGenerationError:
                continue
            if run.valid(eff, last):
                return last
        return last

    # -- numbers ------------------------------------------------------------

    def _bounds(self, eff: Mapping[str, Any]) -> tuple[float | None, bool, float | None, bool]:
        lo, hi = eff.get("minimum"), eff.get("maximum")
        lo_ex, hi_ex = bool(eff.get("exclusiveMinimum")), bool(eff.get("exclusiveMaximum"))
        if eff.get("format") in _INT_FORMATS:
            fmin, fmax = _INT_FORMATS[eff["format"]]
            if lo is None or lo < fmin:
                lo, lo_ex = fmin, False
            if hi is None or hi > fmax:
                hi, hi_ex = fmax, False
        return lo, lo_ex, hi, hi_ex

    def _ranges(
        self, eff: Mapping[str, Any], name: str | None, integer: bool
    ) -> tuple[tuple[float, float], tuple[float, float], int]:
        """(realistic range, whole allowed range, decimals): both closed, inside the bounds.

        The realistic range is the name hint's (or 1..1000) where it overlaps
        the schema's bounds; the whole range is the fallback when it does not.
        """
        lo, lo_ex, hi, hi_ex = self._bounds(eff)
        if integer:
            lo = None if lo is None else (math.floor(lo) + 1 if lo_ex else math.ceil(lo))
            hi = None if hi is None else (math.ceil(hi) - 1 if hi_ex else math.floor(hi))
        hint = faker_hints.number_hint(name)
        want_lo, want_hi = (hint.low, hint.high) if hint else (1, 1000)
        decimals = hint.decimals if hint and hint.decimals else 2
        full_lo = lo if lo is not None else (min(want_lo, hi) if hi is not None else want_lo)
        full_hi = hi if hi is not None else want_hi if want_hi > full_lo else full_lo + 1000
        if lo is None and hi is not None and full_lo == hi:
            full_lo = hi - 1000
        narrow_lo, narrow_hi = max(full_lo, want_lo), min(full_hi, want_hi)
        if narrow_lo > narrow_hi:
            narrow_lo, narrow_hi = full_lo, full_hi
        return (narrow_lo, narrow_hi), (full_lo, full_hi), decimals

    def _integer(self, run: _Run, eff: Mapping[str, Any], name: str | None) -> int:
        narrow, full, _ = self._ranges(eff, name, integer=True)
        step = Fraction(str(eff["multipleOf"])) if "multipleOf" in eff else Fraction(1)
        step = Fraction(step.numerator)  # smallest integer that is a multiple of step
        value = math.ceil(full[0])
        for attempt in range(self.attempts):
            lo, hi = narrow if attempt < self.attempts // 2 else full
            k_lo, k_hi = math.ceil(math.ceil(lo) / step), math.floor(math.floor(hi) / step)
            if k_lo > k_hi:
                continue
            value = int(self.rng.randint(k_lo, k_hi) * step)
            if run.valid(eff, value):
                return value
        return value

    def _number(self, run: _Run, eff: Mapping[str, Any], name: str | None) -> float | int:
        narrow, full, decimals = self._ranges(eff, name, integer=False)
        if "multipleOf" in eff:
            return self._multiple(run, eff, narrow, full)
        value: float = float(full[0])
        for attempt in range(self.attempts):
            lo, hi = narrow if attempt < self.attempts // 2 else full
            value = self.rng.uniform(lo, hi)
            if attempt % 2 == 0:
                value = round(value, decimals)  # prices look like prices
            if run.valid(eff, value):
                return value
        return value

    def _multiple(
        self,
        run: _Run,
        eff: Mapping[str, Any],
        narrow: tuple[float, float],
        full: tuple[float, float],
    ) -> float | int:
        """A multiple of multipleOf that also passes jsonschema's float division check."""
        step = Fraction(str(eff["multipleOf"]))
        value: float | int = 0
        for attempt in range(self.attempts):
            lo, hi = narrow if attempt < self.attempts // 2 else full
            k_lo = math.ceil(Fraction(str(lo)) / step)
            k_hi = math.floor(Fraction(str(hi)) / step)
            if k_lo > k_hi:
                continue
            exact = self.rng.randint(k_lo, k_hi) * step
            value = int(exact) if exact.denominator == 1 else float(exact)
            if run.valid(eff, value):
                return value
        return value

    # -- arrays and objects -----------------------------------------------------

    def _array(self, run: _Run, eff: Mapping[str, Any], name: str | None, depth: int) -> list[Any]:
        items = eff.get("items", {})
        lo = int(eff.get("minItems", 0))
        hi = eff.get("maxItems")
        if depth >= self.max_depth:
            count = lo
        else:
            top = lo + 3 if hi is None else min(int(hi), lo + 3)
            count = self.rng.randint(max(lo, min(1, top)), max(lo, top))
        item_name = None
        if name:
            context, _, key = name.rpartition(".")
            item_name = (
                f"{context}.{faker_hints.singular(key)}" if context else faker_hints.singular(key)
            )
        out: list[Any] = []
        seen: set[str] = set()
        budget = count * self.attempts
        while len(out) < count and budget > 0:
            budget -= 1
            item = self._value(run, items, item_name, depth + 1)
            if eff.get("uniqueItems"):
                key = _canonical(item)
                if key in seen:
                    continue
                seen.add(key)
            out.append(item)
        return out

    def _object(
        self, run: _Run, eff: Mapping[str, Any], name: str | None, depth: int
    ) -> dict[str, Any]:
        props: Mapping[str, Any] = eff.get("properties", {})
        required = list(eff.get("required", []))
        extra_schema = eff.get("additionalProperties")
        free = extra_schema if isinstance(extra_schema, Mapping) else {}
        # Property names carry their object as context ("OrderItem.name").
        context = eff.get("_ref") or (name.rpartition(".")[2] if name else "")
        label = {prop: f"{context}.{prop}" if context else prop for prop in props}
        out, optional = self._declared_properties(run, eff, label, required, depth)
        for prop in required:
            if prop not in out and prop not in props:
                out[prop] = self._value(run, free, prop, depth + 1)
        want = int(eff.get("minProperties", 0))
        if isinstance(extra_schema, Mapping) and not props and depth < self.max_depth:
            want = max(want, self.rng.randint(1, 3))  # a map: give it a few entries
        while len(out) < want and optional:
            prop = optional.pop(0)
            out[prop] = self._value(run, props[prop], label[prop], depth + 1)
        if len(out) < want and extra_schema is not False:
            self._free_entries(run, out, want, props, free, name, depth)
        _trim(out, eff.get("maxProperties"), required)
        return out

    def _declared_properties(
        self, run: _Run, eff: Mapping[str, Any], label: Mapping[str, str],
        required: list[str], depth: int,
    ) -> tuple[dict[str, Any], list[str]]:
        """The declared properties this run may send: each required one, the optional
        ones that win their roll; the optional ones left over, in order."""
        allowed = eff.get("_allowed")
        out: dict[str, Any] = {}
        optional: list[str] = []
        for prop, sub in eff.get("properties", {}).items():
            if allowed is not None and prop not in allowed:
                continue
            sub_eff = run.effective(sub)
            if not _visible(run.mode, sub_eff):
                continue
            include = prop in required or (
                depth < self.max_depth and self.rng.random() < self.optional_probability
            )
            if include:
                out[prop] = self._from_effective(run, sub_eff, label[prop], depth + 1)
            else:
                optional.append(prop)
        return out, optional

    def _free_entries(
        self, run: _Run, out: dict[str, Any], want: int, props: Mapping[str, Any],
        free: Mapping[str, Any], name: str | None, depth: int,
    ) -> None:
        """Undeclared entries up to ``want``: language codes for a localized map, else words."""
        localized = faker_hints.map_keys(name)
        keys = list(localized or [])
        tries = 0
        while len(out) < want and tries < self.attempts:
            tries += 1
            key = keys.pop(0) if keys else self.faker.word()
            if key not in out and key not in props:
                out[key] = self._value(run, free, name if localized else None, depth + 1)


def _visible(mode: Mode, eff: Mapping[str, Any]) -> bool:
    """A response never carries writeOnly properties, a request never readOnly ones."""
    if mode == "response":
        return not eff.get("writeOnly")
    return not (mode == "request" and eff.get("readOnly"))


def _trim(out: dict[str, Any], limit: int | None, required: list[str]) -> None:
    """Drop the last optional entries until ``maxProperties`` holds."""
    if limit is None:
        return
    for prop in [p for p in reversed(list(out)) if p not in required]:
        if len(out) <= limit:
            break
        del out[prop]


def _fit(text: str, lo: int, hi: int | None, faker: Faker) -> str:
    """Cut or pad text to the allowed length, keeping it readable."""
    if hi is not None and len(text) > hi:
        text = text[:hi].rstrip() if hi else ""
    if len(text) < lo:
        text += faker.lexify("?" * (lo - len(text)))
    return text


def _fit_hint(
    hint: faker_hints.StringProducer, faker: Faker, rng: random.Random,
    lo: int, hi: int | None,
) -> str:
    """A hinted value cut or padded to the allowed length."""
    return _fit(hint(faker, rng), lo, hi, faker)


def _short_email(lo: int, hi: int | None, faker: Faker) -> str:
    """An email for tight length limits, where Faker's own are too long."""
    domain = "@ex.io"
    local = max(1, min(8, (hi if hi is not None else 14) - len(domain)), lo - len(domain))
    return faker.lexify("?" * local).lower() + domain


def _discriminator_value(discriminator: Mapping[str, Any], ref: str) -> str:
    """The discriminator tag that selects ``ref`` (explicit mapping, else the schema name)."""
    for tag, target in (discriminator.get("mapping") or {}).items():
        if target == ref:
            return str(tag)
    return ref.rsplit("/", 1)[-1]


def _canonical(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)
