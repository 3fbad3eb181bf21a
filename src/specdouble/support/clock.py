"""Time, in one place: UTC now and the ISO format the APIs use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_millis(moment: datetime) -> str:
    """``2021-03-04T13:45:00.883Z``: millisecond precision, Z suffix."""
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y does not pad these: keep its exact text
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    # the same text without strftime, which costs several times more (one per journal entry)
    return (f"{moment.year}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


def parse_iso(text: str) -> datetime:
    """Parse an RFC 3339 date-time (``Z`` or offset); naive means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_LENIENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$"
)


def parse_lenient(text: str) -> datetime:
    """Parse a date-time the way Java's lenient calendar does: fields roll over.

    ``2020-02-30T25:61:00Z`` is 2020-03-02T02:01:00Z. For services written in
    Java whose documented pattern is ``yyyy-MM-dd'T'HH:mm:ssZ``: a value the
    pattern allows is never refused for its field ranges.
    """
    match = _LENIENT.match(text)
    if match is None:
        raise ValueError(f"not a date-time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = (match.group(7) or "0").ljust(6, "0")[:6]
    months = year * 12 + month - 1
    year, month_index = divmod(months, 12)
    if year < 1:
        return datetime.min.replace(tzinfo=UTC)
    if year > 9999:
        return datetime.max.replace(tzinfo=UTC)
    moment = datetime(year, month_index + 1, 1, tzinfo=UTC)
    try:
        moment += timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second,
                            microseconds=int(fraction))
        zone = match.group(8)
        if zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if year > 1 else datetime.min.replace(tzinfo=UTC)
    return moment
