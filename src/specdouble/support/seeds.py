"""Determinism: the default seed, the fixed epoch of generated times, derived seeds.

Settings, the data generator and the seeders all need these; keeping them
here (and not in ``data/``) lets settings load without Faker and breaks the
generator <-> seeding import cycle.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

DEFAULT_SEED = 20240601
# Generated timestamps are relative to this instant, never to "now",
# so that seeded data does not depend on the day it is generated.
EPOCH = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def derive_seed(*parts: object) -> int:
    """A stable 63-bit integer from any parts (Python's hash() is salted)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
