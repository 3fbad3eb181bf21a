"""The bounded regex-to-string generator behind ``pattern`` support."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specdouble.data.regex_gen import RegexGenerationError, generate_matching

PATTERNS = [
    r"^[A-Z]{2}$",
    r"^\d{5}(-\d{4})?$",
    r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$",
    r"(?i)^abc$",
    r"^[^\s]+$",
    r"^(a|b)\1c$",
    r"^\+?[0-9 ]{6,20}$",
    r"^[a-z][a-z0-9-]{2,15}$",
    r"^\w+(?:\.\w+)*$",
    r"^(ORDER|RETURN)-[0-9]{4,6}$",
    r"^[^a-zA-Z0-9]+$",
    r"^.{3}$",
    r"^a*?b+?c??$",
    r"^(?P<x>[xy])-(?P=x)$",
    r"^[\u00e0-\u00ff]{2}$",
    r"ab+c",
    r"^(?=.*\d)[a-z\d]{6}$",
]


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32))
def test_generated_strings_match(pattern: str, seed: int) -> None:
    assert re.search(pattern, generate_matching(pattern, random.Random(seed)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), lo=st.integers(0, 80), extra=st.integers(0, 40))
def test_length_targets_are_met_for_unbounded_repeats(seed: int, lo: int, extra: int) -> None:
    text = generate_matching(
        r"^[A-Za-z0-9]+$", random.Random(seed), min_length=max(lo, 1), max_length=lo + extra + 1
    )
    assert max(lo, 1) <= len(text) <= lo + extra + 1


def test_same_rng_seed_same_string() -> None:
    pattern = r"^[A-Z]{3}-\d{4}[a-z]*$"
    assert generate_matching(pattern, random.Random(5)) == generate_matching(
        pattern, random.Random(5)
    )


@pytest.mark.parametrize(
    ("pattern", "kwargs"),
    [("^[0-9]{4}$", {"max_length": 3}), ("^(a|b)$", {"min_length": 2}), ("(", {})],
)
def test_impossible_requests_raise(pattern: str, kwargs: dict[str, int]) -> None:
    with pytest.raises(RegexGenerationError):
        generate_matching(pattern, random.Random(1), **kwargs)
