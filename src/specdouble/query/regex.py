"""Regular expressions with bounded cost for ``~`` conditions.

A client-supplied pattern must never hang the server. RE2 (``google-re2``)
matches in linear time, so it is used when installed. Without it, the
stdlib engine is used only for patterns that cannot backtrack
catastrophically (no repeat inside a repeat, no alternation or
back-reference under a repeat), and subjects are cut to a fixed length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MAX_PATTERN = 512
MAX_SUBJECT = 10_000

try:  # pragma: no cover - which branch runs depends on the environment
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

ENGINE = "re2" if _re2 is not None else "re"


def compile_contains(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive 'contains a match' test, or ValueError saying why not."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"regular expression longer than {MAX_PATTERN} characters")
    if _re2 is not None:
        return _compile_re2(pattern)
    return _compile_stdlib(pattern)


def _compile_re2(pattern: str) -> Callable[[str], bool]:
    assert _re2 is not None
    options = _re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    options.max_mem = 1 << 20
    try:
        compiled = _re2.compile(pattern, options)
    except _re2.error as exc:
        message = exc.args[0] if exc.args else exc
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise ValueError(f"invalid regular expression ({message})") from None
    return lambda subject: compiled.search(subject) is not None


def _compile_stdlib(pattern: str) -> Callable[[str], bool]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid regular expression ({exc.msg})") from None
    if not _is_linear(pattern):
        raise ValueError(
            "regular expression could backtrack without bound "
            "(nested repeats, or alternation or back-reference inside a repeat)"
        )
    return lambda subject: compiled.search(subject[:MAX_SUBJECT]) is not None


def _is_linear(pattern: str) -> bool:
    """Conservative check on the stdlib parse tree: no nested risky constructs."""
    from re import _parser

    def walk(items: Any, in_repeat: bool) -> bool:
        for op, arg in items:
            name = str(op)
            if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
                _low, high, body = arg
                repeats = high is _parser.MAXREPEAT or high > 1
                if in_repeat and repeats:
                    return False
                if not walk(body, in_repeat or repeats):
                    return False
            elif name == "SUBPATTERN":
                if not walk(arg[-1], in_repeat):
                    return False
            elif name == "BRANCH":
                if in_repeat:
                    return False
                if not all(walk(branch, in_repeat) for branch in arg[1]):
                    return False
            elif name in {"GROUPREF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT"}:
                return False
        return True

    return walk(_parser.parse(pattern), False)
