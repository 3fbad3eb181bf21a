"""The one error the q language raises: where it broke and what would have fit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class QueryError(ValueError):
    """A malformed query.

    ``column`` is 1-based in the text the caller passed, so a client can
    point at the offending character; ``expected`` lists, in words, what
    would have been accepted there. The domain turns this into a 400 that
    names the parameter (``query.q``).
    """

    reason: str
    column: int
    expected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"at column {self.column}: {self.reason}"
        if self.expected:
            text += "; expected " + " or ".join(self.expected)
        return text

    def __str__(self) -> str:
        return self.describe()
