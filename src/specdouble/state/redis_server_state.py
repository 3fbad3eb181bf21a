"""The server state (tokens, journal, fault countdowns, claims) in the shared Redis.

Every operation is one Redis command or one MULTI/EXEC block, so N workers
count a fault rule's ``times`` down exactly once each and the journal stays
one capped list. Keys live beside the store's, under its prefix::

    s:table:<name>   HASH    key -> JSON value
    s:count:<name>   STRING  an INCRBY counter
    s:log:<name>     LIST    JSON items, newest first, LTRIMmed to the cap (a Lua script
                             numbers, pushes and trims in one step)
    s:claim:<name>   STRING  a lease (SET NX EX)
"""

from __future__ import annotations

from typing import Any

from specdouble.state.redis import RedisStore, decode, encode

# One round trip for a journal entry: number it, add it, cut the log to its cap.
_APPEND_NUMBERED = """
local number = redis.call('INCR', KEYS[1])
redis.call('LPUSH', KEYS[2], '{"id":' .. number .. ',' .. ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return number
"""
_NUMBERED_HEAD = b'{"id":0,'


class RedisServerState:
    """Server state shared by every worker and replica on the same Redis and prefix."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._client: Any = store.client  # see RedisStore._client
        self._base = f"{store.prefix}:s"
        self._append_numbered = self._client.register_script(_APPEND_NUMBERED)

    def _table(self, name: str) -> str:
        return f"{self._base}:table:{name}"

    def _counter(self, name: str) -> str:
        return f"{self._base}:count:{name}"

    def _log(self, name: str) -> str:
        return f"{self._base}:log:{name}"

    def get(self, table: str, key: str) -> Any | None:
        with self._store.reachable():
            raw = self._client.hget(self._table(table), key)
        return None if raw is None else decode(raw)

    def put(self, table: str, key: str, value: Any) -> None:
        with self._store.reachable():
            self._client.hset(self._table(table), key, encode(value))

    def put_new(self, table: str, key: str, value: Any) -> bool:
        with self._store.reachable():
            return bool(self._client.hsetnx(self._table(table), key, encode(value)))

    def delete(self, table: str, key: str) -> bool:
        with self._store.reachable():
            return bool(self._client.hdel(self._table(table), key))

    def items(self, table: str) -> dict[str, Any]:
        with self._store.reachable():
            raw = self._client.hgetall(self._table(table))
        return {key.decode(): decode(value) for key, value in raw.items()}

    def clear(self, table: str) -> int:
        with self._store.reachable(), self._client.pipeline() as pipe:
            count, _ = pipe.hlen(self._table(table)).delete(self._table(table)).execute()
        return int(count)

    def add(self, counter: str, amount: int = 1) -> int:
        with self._store.reachable():
            return int(self._client.incrby(self._counter(counter), amount))

    def value(self, counter: str) -> int:
        with self._store.reachable():
            return int(self._client.get(self._counter(counter)) or 0)

    def drop_counter(self, counter: str) -> None:
        with self._store.reachable():
            self._client.delete(self._counter(counter))

    def append_numbered(self, log: str, counter: str, item: dict[str, Any], cap: int) -> int:
        encoded = encode({"id": 0, **item})  # '{"id":0,...}': the script puts the number in
        if not encoded.startswith(_NUMBERED_HEAD):
            raise ValueError("a numbered log item must encode as a plain JSON object")
        with self._store.reachable():
            return int(self._append_numbered(
                keys=[self._counter(counter), self._log(log)],
                args=[encoded[len(_NUMBERED_HEAD):], cap]))

    def recent(self, log: str) -> list[Any]:
        with self._store.reachable():
            return [decode(raw) for raw in self._client.lrange(self._log(log), 0, -1)]

    def log_length(self, log: str) -> int:
        with self._store.reachable():
            return int(self._client.llen(self._log(log)))

    def clear_log(self, log: str) -> int:
        with self._store.reachable(), self._client.pipeline() as pipe:
            count, _ = pipe.llen(self._log(log)).delete(self._log(log)).execute()
        return int(count)

    def claim(self, name: str, ttl_seconds: int) -> bool:
        with self._store.reachable():
            return bool(self._client.set(f"{self._base}:claim:{name}", b"1", nx=True,
                                         ex=ttl_seconds))

    def release(self, name: str) -> None:
        with self._store.reachable():
            self._client.delete(f"{self._base}:claim:{name}")
