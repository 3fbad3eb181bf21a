"""Bounded regex-to-string generation over Python's own regex parser.

Schemas carry ``pattern`` constraints that a mock must honour; sampling
random strings until one matches would almost never succeed. Walking the
parsed pattern produces a candidate directly. It is bounded: unbounded
repeats (``*``, ``+``, ``{n,}``) stop after a small number of extra
repetitions, so generation always ends. Lookarounds and word boundaries are
not modelled; the caller checks the result with ``re.search`` and retries.
Python's ``re`` is used because that is what the validators apply too.
"""

from __future__ import annotations

import random
import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
import string
from typing import Any

# Characters used for "any" and negated classes: printable ASCII is what
# realistic identifiers are made of and what every client can display.
_PRINTABLE = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
_CATEGORIES: dict[Any, list[str]] = {
    sre_c.CATEGORY_DIGIT: list(string.digits),
    sre_c.CATEGORY_NOT_DIGIT: [c for c in _PRINTABLE if not c.isdigit()],
    sre_c.CATEGORY_WORD: list(string.ascii_letters + string.digits + "_"),
    sre_c.CATEGORY_NOT_WORD: [c for c in _PRINTABLE if not (c.isalnum() or c == "_")],
    sre_c.CATEGORY_SPACE: [" "],
    sre_c.CATEGORY_NOT_SPACE: [c for c in _PRINTABLE if c != " "],
}


class RegexGenerationError(ValueError):
    """The pattern uses a construct this generator cannot produce."""


def _class_members(items: list[tuple[Any, Any]]) -> tuple[bool, list[str], list[tuple[int, int]]]:
    """Split a parsed character class into (negated, single chars, ranges)."""
    negate = False
    chars: list[str] = []
    ranges: list[tuple[int, int]] = []
    for op, arg in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            chars.append(chr(arg))
        elif op is sre_c.RANGE:
            ranges.append(arg)
        elif op is sre_c.CATEGORY:
            chars.extend(_CATEGORIES.get(arg, []))
        else:
            raise RegexGenerationError(f"unsupported class item {op}")
    return negate, chars, ranges


def _in_class(ch: str, chars: list[str], ranges: list[tuple[int, int]]) -> bool:
    return ch in chars or any(lo <= ord(ch) <= hi for lo, hi in ranges)


class _Walker:
    """One generation pass.

    ``extra`` bounds how far repeats go beyond their minimum; with ``exact``
    every repeat takes exactly ``min + extra`` (capped at its maximum), which
    makes the length monotone in ``extra`` so a length window can be searched.
    """

    def __init__(self, rng: random.Random, extra: int, exact: bool = False) -> None:
        self.rng = rng
        self.extra = extra
        self.exact = exact
        self.groups: dict[int, str] = {}

    def walk(self, parsed: Any) -> str:
        return "".join(self.node(op, arg) for op, arg in parsed)

    def node(self, op: Any, arg: Any) -> str:
        rng = self.rng
        if op is sre_c.LITERAL:
            return chr(arg)
        if op is sre_c.NOT_LITERAL:
            return rng.choice([c for c in _PRINTABLE if c != chr(arg)])
        if op is sre_c.ANY:
            return rng.choice(_PRINTABLE)
        if op is sre_c.IN:
            return self.char_class(arg)
        if op is sre_c.BRANCH:
            return self.walk(rng.choice(arg[1]))
        if op is sre_c.SUBPATTERN:
            group, _add, _del, sub = arg
            text = self.walk(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is sre_c.ATOMIC_GROUP:
            return self.walk(arg)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, high, sub = arg
            top = low + self.extra if high is sre_c.MAXREPEAT else min(high, low + self.extra)
            top = max(top, low)
            count = top if self.exact else rng.randint(low, top)
            return "".join(self.walk(sub) for _ in range(count))
        if op is sre_c.GROUPREF:
            return self.groups.get(arg, "")
        if op is sre_c.GROUPREF_EXISTS:
            group, yes, no = arg
            branch = yes if group in self.groups else no
            return self.walk(branch) if branch is not None else ""
        if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            return ""  # anchors and lookarounds consume nothing; checked by the caller
        raise RegexGenerationError(f"unsupported regex construct {op}")

    def char_class(self, items: list[tuple[Any, Any]]) -> str:
        negate, chars, ranges = _class_members(items)
        if negate:
            allowed = [c for c in _PRINTABLE if not _in_class(c, chars, ranges)]
            if not allowed:
                raise RegexGenerationError("negated class excludes every printable character")
            return self.rng.choice(allowed)
        size = len(chars) + sum(hi - lo + 1 for lo, hi in ranges)
        pick = self.rng.randrange(size)
        if pick < len(chars):
            return chars[pick]
        pick -= len(chars)
        for lo, hi in ranges:
            if pick <= hi - lo:
                return chr(lo + pick)
            pick -= hi - lo + 1
        raise AssertionError("unreachable")  # pragma: no cover


def _parse(pattern: str) -> Any:
    try:
        return sre_parse.parse(pattern)
    except re.error as exc:
        raise RegexGenerationError(f"invalid pattern {pattern!r}: {exc}") from exc


def generate_matching(
    pattern: str,
    rng: random.Random,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    attempts: int = 30,
) -> str:
    """Return a string that ``re.search(pattern, s)`` accepts, within the lengths.

    Raises :class:`RegexGenerationError` if no attempt succeeds, so callers
    can fall back or report the schema as unsatisfiable.
    """
    parsed = _parse(pattern)
    compiled = re.compile(pattern)
    # Start with short random repeats (readable values). When a length window
    # keeps being missed, binary-search an exact repeat count instead.
    extra = 4
    random_attempts = attempts // 2
    low_e, high_e = 0, max(min_length, max_length or 0, 8) + 1
    for attempt in range(attempts):
        searching = attempt >= random_attempts
        if searching:
            extra = (low_e + high_e) // 2
        text = _Walker(rng, extra, exact=searching).walk(parsed)
        too_short = len(text) < min_length
        too_long = max_length is not None and len(text) > max_length
        if not too_short and not too_long and compiled.search(text):
            return text
        if searching:
            if too_short:
                low_e = extra + 1
            elif too_long:
                high_e = extra - 1
            if low_e > high_e:  # window skipped (e.g. parity): widen and keep trying
                low_e, high_e = 0, max(min_length, max_length or 0, 8) + 1
        elif too_short:
            extra = max(extra * 2, min_length)
        elif too_long:
            extra = max(0, extra // 2 - (attempt % 2))
    raise RegexGenerationError(
        f"no string of length {min_length}..{max_length} found for pattern {pattern!r}"
    )
