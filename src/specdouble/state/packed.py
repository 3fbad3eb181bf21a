"""A tenant's data packed: each collection as compressed JSON bytes.

A tenant created on demand holds ~150 KB of seeded records; as Python
objects they take ~550 KB, as one collection's compressed JSON each ~32 KB.
The memory store keeps a loaded :class:`PackedTenant`'s collections as these
bytes and turns one into records the first time a request reads it, so the
many tenants a CI run creates and never touches stay small, and a reset
hands the store the same bytes again instead of a parsed copy.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from specdouble.state.base import Record, TenantData


@dataclass(frozen=True)
class PackedTenant:
    """Collection name -> its records (id -> record) as zlib-compressed JSON, immutable."""

    collections: Mapping[str, bytes]

    @classmethod
    def pack(cls, data: TenantData) -> PackedTenant:
        """TypeError for what JSON bytes cannot hold as is (an integer beyond 64 bits)."""
        return cls({name: zlib.compress(orjson.dumps(records))
                    for name, records in data.items()})

    def unpack(self) -> TenantData:
        """Every collection as records: fresh objects, the caller's to change."""
        return {name: unpack_collection(packed) for name, packed in self.collections.items()}

    def size(self) -> int:
        """The packed bytes, all collections together."""
        return sum(len(packed) for packed in self.collections.values())


def unpack_collection(packed: bytes) -> dict[str, Record]:
    return orjson.loads(zlib.decompress(packed))


def unpacked(data: TenantData | PackedTenant) -> TenantData:
    """``data`` as records, for a store that does not keep packed collections."""
    return data.unpack() if isinstance(data, PackedTenant) else data
