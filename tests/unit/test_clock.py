"""Lenient Java-style date-times: fields roll over, offsets apply."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from specdouble.support.clock import iso_millis, parse_lenient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-09-14T13:35:18Z", datetime(2020, 9, 14, 13, 35, 18, tzinfo=UTC)),
        ("2020-09-14T13:35:18.333Z", datetime(2020, 9, 14, 13, 35, 18, 333000, tzinfo=UTC)),
        ("2020-09-14T13:35:18+0200", datetime(2020, 9, 14, 11, 35, 18, tzinfo=UTC)),
        ("2020-09-14T13:35:18-01:30", datetime(2020, 9, 14, 15, 5, 18, tzinfo=UTC)),
        ("2020-02-30T25:61:00Z", datetime(2020, 3, 2, 2, 1, tzinfo=UTC)),
        ("0000-00-00T00:00:00Z", datetime.min.replace(tzinfo=UTC)),
        ("9999-99-99T99:99:99Z", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_parse_lenient(text: str, expected: datetime) -> None:
    assert parse_lenient(text) == expected


def test_not_a_date_time() -> None:
    with pytest.raises(ValueError):
        parse_lenient("yesterday")


def test_iso_millis() -> None:
    assert iso_millis(datetime(2021, 3, 4, 13, 45, 0, 883999, tzinfo=UTC)) == (
        "2021-03-04T13:45:00.883Z")
