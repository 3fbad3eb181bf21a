"""Regular expressions with bounded cost for ``~`` conditions.

A client-supplied pattern must never hang the server. RE2 (``google-re2``, a
required dependency) matches in time linear in the subject, whatever the
pattern; it is the only engine. A backtracking fallback was tried and dropped:
patterns such as ``a*a*a*a*a*b`` passed its "cannot backtrack" check and still
ran for seconds on a 10,000-character value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import re2 as _re2
except ImportError as err:  # pragma: no cover - google-re2 is a required dependency
    raise ImportError("specdouble needs google-re2 (pip install google-re2): the `~` "
                      "filter runs only on RE2, whose matching time is bounded") from err

MAX_PATTERN = 512
MEMO_SIZE = 4096
ENGINE = "re2"


def compile_contains(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive 'contains a match' test, or ValueError saying why not."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"regular expression longer than {MAX_PATTERN} characters")
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
    return _Memo(compiled)


class _Memo:
    """The answer per subject, remembered: a list re-tests the same few names each time.

    Bounded: the memo is dropped when it holds ``MEMO_SIZE`` subjects.
    """

    __slots__ = ("_compiled", "_seen")

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled
        self._seen: dict[str, bool] = {}

    def __call__(self, subject: str) -> bool:
        found = self._seen.get(subject)
        if found is None:
            if len(self._seen) >= MEMO_SIZE:
                self._seen = {}
            found = self._seen[subject] = self._compiled.search(subject) is not None
        return found
