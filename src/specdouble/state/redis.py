"""Redis backend: one world shared by every worker and replica that names the same Redis.

Atomicity comes from Redis itself, not from a lock in this process: a
transaction WATCHes its tenant's version key, reads through, stages its
writes and commits them with MULTI/EXEC (the writes plus an INCR of the
version). If any other writer committed to the tenant meanwhile, EXEC does
nothing and :class:`TransactionConflict` tells the caller to run the whole
unit of work again. Read-only units and rejected ones check the version too,
so no answer is computed from a mix of two states.

Layout, every key under ``<prefix>:``::

    tenants                    SET    tenant names
    t:<tenant>:version         STRING bumped by every commit (the WATCHed key)
    t:<tenant>:lease           STRING a writer's priority lease (SET NX PX), WATCHed too
    t:<tenant>:order           STRING insertion counter (scores of the order sets)
    t:<tenant>:seq             HASH   sequence name -> last value
    t:<tenant>:cols            SET    collection names
    t:<tenant>:c:<collection>  HASH   record id -> JSON record
    t:<tenant>:o:<collection>  ZSET   record id, scored by insertion order
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from specdouble.state.base import (
    MAX_ATTEMPTS,
    Record,
    StoreUnavailable,
    TenantData,
    TransactionConflict,
    UnknownTenant,
)
from specdouble.state.packed import PackedTenant, unpacked
from specdouble.support.jsonparse import dumps

DEFAULT_PREFIX = "specdouble"
# How long one Redis call may wait (connecting, or for a reply) before the store
# counts as unavailable; the server's --state-timeout.
DEFAULT_TIMEOUT = 2.0
# How long a writer's priority lease lasts at most (it is released when its request ends).
LEASE_MS = 2000
# tenant -> lease token of the writer running in this context (see RedisStore.priority)
_leases: ContextVar[dict[str, bytes]] = ContextVar("specdouble_redis_leases")
_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


# orjson refuses integers beyond 64 bits when writing and reads them back as floats;
# a record that holds one is written by the standard library and tagged so.
_WIDE = b"W"


def encode(record: Any) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:
        return _WIDE + dumps(record)


def decode(raw: bytes) -> Any:
    if raw.startswith(_WIDE):
        return json.loads(raw[1:])
    return orjson.loads(raw)


def redacted(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# A collection's ids in insertion order and their records, read at one instant
# (HMGET in slices: Lua's unpack has a limit on how many values it spreads).
_READ_ALL = """
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local records = {}
for first = 1, #ids, 1000 do
  local last = math.min(first + 999, #ids)
  local slice = redis.call('HMGET', KEYS[2], unpack(ids, first, last))
  for i = 1, #slice do records[#records + 1] = slice[i] end
end
return {ids, records}
"""


def _encoded(data: TenantData) -> dict[str, dict[str, bytes]]:
    return {name: {k: encode(r) for k, r in records.items()} for name, records in data.items()}


class _Keys:
    def __init__(self, prefix: str, tenant: str) -> None:
        base = f"{prefix}:t:{tenant}"
        self.version = f"{base}:version"
        self.order = f"{base}:order"
        self.seq = f"{base}:seq"
        self.cols = f"{base}:cols"
        self.lease = f"{base}:lease"
        self._base = base

    def records(self, collection: str) -> str:
        return f"{self._base}:c:{collection}"

    def ordering(self, collection: str) -> str:
        return f"{self._base}:o:{collection}"


class _RedisTransaction:
    """Reads go to Redis (under WATCH) merged with this transaction's staged writes."""

    def __init__(self, tenant: str, keys: _Keys, pipe: Any) -> None:
        self.tenant = tenant
        self._keys = keys
        self._pipe = pipe
        # collection -> key -> JSON bytes, or None for a staged delete
        self._staged: dict[str, dict[str, bytes | None]] = {}
        self._sequences: dict[str, int] = {}

    def get(self, collection: str, key: str) -> Record | None:
        staged = self._staged.get(collection, {})
        raw = staged[key] if key in staged else self._pipe.hget(self._keys.records(collection), key)
        return None if raw is None else decode(raw)

    def put(self, collection: str, key: str, record: Record) -> None:
        self._staged.setdefault(collection, {})[key] = encode(record)

    def delete(self, collection: str, key: str) -> bool:
        existed = self.get(collection, key) is not None
        self._staged.setdefault(collection, {})[key] = None
        return existed

    def _committed_keys(self, collection: str) -> list[str]:
        return [k.decode() for k in self._pipe.zrange(self._keys.ordering(collection), 0, -1)]

    def keys(self, collection: str) -> list[str]:
        merged = dict.fromkeys(self._committed_keys(collection))
        for key, raw in self._staged.get(collection, {}).items():
            if raw is None:
                merged.pop(key, None)
            else:
                merged[key] = None
        return list(merged)

    def view(self, collection: str) -> list[Record]:
        """Parsed records are fresh objects anyway."""
        return self.values(collection)

    def values(self, collection: str) -> list[Record]:
        """Every record: ids and committed records in one round trip (a Lua script)."""
        ids, raws = self._pipe.eval(_READ_ALL, 2, self._keys.ordering(collection),
                                    self._keys.records(collection))
        committed = dict(zip((key.decode() for key in ids), raws, strict=True))
        staged = self._staged.get(collection, {})
        merged = {**committed, **staged}
        return [decode(raw) for raw in merged.values() if raw is not None]

    def next_sequence(self, name: str) -> int:
        # Staged like any write: a rejected or conflicting unit of work uses no number.
        if name not in self._sequences:
            self._sequences[name] = int(self._pipe.hget(self._keys.seq, name) or 0)
        self._sequences[name] += 1
        return self._sequences[name]

    def commit(self) -> None:
        """Apply the staged writes atomically, or raise TransactionConflict."""
        pipe, keys = self._pipe, self._keys
        order = 0
        if self._staged or self._sequences:
            raw_order, holder = pipe.mget(keys.order, keys.lease)
            if holder is not None and holder != _leases.get({}).get(self.tenant):
                raise TransactionConflict(self.tenant)  # a starved writer has its turn
            order = int(raw_order or 0)
        pipe.multi()
        for collection, changes in self._staged.items():
            puts = {k: v for k, v in changes.items() if v is not None}
            deletes = [k for k, v in changes.items() if v is None]
            pipe.sadd(keys.cols, collection)
            if deletes:
                pipe.hdel(keys.records(collection), *deletes)
                pipe.zrem(keys.ordering(collection), *deletes)
            if puts:
                pipe.hset(keys.records(collection), mapping=puts)
                scores = {k: order + i for i, k in enumerate(puts, start=1)}
                pipe.zadd(keys.ordering(collection), scores, nx=True)
                order += len(puts)
        if self._staged:
            pipe.set(keys.order, order)
        if self._sequences:
            pipe.hset(keys.seq, mapping=self._sequences)
        if self._staged or self._sequences:
            pipe.incr(keys.version)
        else:
            pipe.get(keys.version)  # read-only: EXEC still fails if a writer came between
        try:
            pipe.execute()
        except redis.WatchError:
            raise TransactionConflict(self.tenant) from None


@contextmanager
def _conflict_on_watch_error(tenant: str) -> Iterator[None]:
    """A WatchError anywhere in a unit of work means: run it again.

    redis-py raises it for a commit that lost to another writer, and also for a
    connection lost while watching (from any read before the commit): that one
    is marked, so the replays stop once the store's timeout has passed.
    """
    try:
        yield
    except redis.WatchError as err:
        lost = isinstance(err.__cause__, _UNREACHABLE) or "ConnectionError" in str(err)
        raise TransactionConflict(tenant, connection_lost=lost) from err


class RedisStore:
    """The shared store: every worker process on the same Redis and prefix sees one world."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX,
                 client: redis.Redis | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._tenants_key = f"{prefix}:tenants"
        # One quick retry rebuilds a pooled connection that died with a Redis restart;
        # more would only make an outage slower to report.
        # redis-py types each command as sync-or-async (Awaitable[T] | T): untyped here.
        self._client: Any = client or redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1), retry_on_error=[redis.ConnectionError],
        )
        # Delete the lease only if it is still ours (it may have lapsed and moved on).
        self._release = self._client.register_script(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
            "end return 0")

    # --- connection ---------------------------------------------------------------

    def ping(self) -> None:
        """Fail fast at start: StoreUnavailable names the URL."""
        try:
            self._client.ping()
        except (*_UNREACHABLE, redis.ResponseError) as err:
            raise StoreUnavailable(
                f"the state store Redis at {redacted(self.url)} is unreachable ({err})") from None

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """A lost Redis becomes StoreUnavailable (the HTTP edge answers its documented 500)."""
        try:
            yield
        except _UNREACHABLE as err:
            raise StoreUnavailable(
                f"the state store Redis at {redacted(self.url)} is unreachable ({err})") from None

    @property
    def client(self) -> redis.Redis:
        """The connection pool, shared with the server state kept beside the data."""
        return self._client

    def close(self) -> None:
        self._client.close()

    def _keys(self, tenant: str) -> _Keys:
        return _Keys(self.prefix, tenant)

    # --- Store -----------------------------------------------------------------------

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[_RedisTransaction]:
        keys = self._keys(tenant)
        with self.reachable(), _conflict_on_watch_error(tenant), \
                self._client.pipeline() as pipe:
            pipe.watch(keys.version, keys.lease)
            if not pipe.sismember(self._tenants_key, tenant):
                raise UnknownTenant(tenant)
            tx = _RedisTransaction(tenant, keys, pipe)
            try:
                yield tx
            except Exception as err:
                if isinstance(err, (redis.RedisError, TransactionConflict)):
                    raise
                # A rejection computed from reads that straddle another commit is
                # no answer: run the unit of work again on one consistent state.
                pipe.multi()
                pipe.get(keys.version)
                try:
                    pipe.execute()
                except redis.WatchError:
                    raise TransactionConflict(tenant) from err
                raise
            tx.commit()

    @contextmanager
    def priority(self, tenant: str) -> Iterator[bool]:
        """Let this context's writes to ``tenant`` win: True while the lease is held.

        For a request that kept losing to other writers: while it holds the
        tenant's lease, every other writer's commit gives way (and one taking
        the lease aborts the commits in flight, which WATCH it). The lease
        lapses by itself should its holder die. False, and no effect, when
        another writer holds it already.
        """
        key = self._keys(tenant).lease
        token = secrets.token_bytes(12)
        with self.reachable():
            taken = bool(self._client.set(key, token, nx=True, px=LEASE_MS))
        if not taken:
            yield False
            return
        held = _leases.set({**_leases.get({}), tenant: token})
        try:
            yield True
        finally:
            _leases.reset(held)
            with self.reachable():
                self._release(keys=[key], args=[token])

    def has_tenant(self, tenant: str) -> bool:
        with self.reachable():
            return bool(self._client.sismember(self._tenants_key, tenant))

    def tenants(self) -> list[str]:
        with self.reachable():
            return sorted(name.decode() for name in self._client.smembers(self._tenants_key))

    def _atomically(self, tenant: str, work: Any) -> Any:
        """``work(pipe, keys, collections)`` under WATCH, retried while others commit."""
        keys = self._keys(tenant)
        with self.reachable(), self._client.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(keys.version)
                    collections = sorted(c.decode() for c in pipe.smembers(keys.cols))
                    return work(pipe, keys, collections)
                except redis.WatchError:
                    pipe.reset()
            raise TransactionConflict(tenant)

    def _delete_all(self, pipe: Any, keys: _Keys, collections: list[str]) -> None:
        doomed = [keys.cols, keys.order, keys.seq]
        for collection in collections:
            doomed += [keys.records(collection), keys.ordering(collection)]
        pipe.delete(*doomed)

    def _replace(self, pipe: Any, keys: _Keys, collections: list[str], tenant: str,
                 encoded: dict[str, dict[str, bytes]]) -> None:
        """Queue and run (MULTI/EXEC) the writes that make ``encoded`` the tenant's data."""
        pipe.multi()
        self._delete_all(pipe, keys, collections)
        order = 0
        for name, records in encoded.items():
            pipe.sadd(keys.cols, name)
            if records:
                pipe.hset(keys.records(name), mapping=records)
                pipe.zadd(keys.ordering(name),
                          {k: order + i for i, k in enumerate(records, start=1)})
                order += len(records)
        pipe.set(keys.order, order)
        pipe.sadd(self._tenants_key, tenant)
        pipe.incr(keys.version)
        pipe.execute()

    def load_tenant(self, tenant: str, data: TenantData | PackedTenant) -> None:
        encoded = _encoded(unpacked(data))

        def work(pipe: Any, keys: _Keys, collections: list[str]) -> None:
            self._replace(pipe, keys, collections, tenant, encoded)

        self._atomically(tenant, work)

    def add_tenant(self, tenant: str, data: TenantData | PackedTenant) -> bool:
        """Every writer of a tenant bumps its WATCHed version key (a first write creates
        it), so of two processes adding the same tenant the second's EXEC fails, and
        on its retry it finds the tenant."""
        encoded = _encoded(unpacked(data))

        def work(pipe: Any, keys: _Keys, collections: list[str]) -> bool:
            if pipe.sismember(self._tenants_key, tenant):
                return False
            self._replace(pipe, keys, collections, tenant, encoded)
            return True

        return self._atomically(tenant, work)

    def export_tenant(self, tenant: str) -> TenantData:
        def work(pipe: Any, keys: _Keys, collections: list[str]) -> TenantData:
            pipe.multi()
            pipe.sismember(self._tenants_key, tenant)
            for name in collections:
                pipe.hgetall(keys.records(name))
                pipe.zrange(keys.ordering(name), 0, -1)
            found, *replies = pipe.execute()
            if not found:
                raise KeyError(tenant)
            out: TenantData = {}
            for i, name in enumerate(collections):
                records, order = replies[2 * i], replies[2 * i + 1]
                out[name] = {k.decode(): decode(records[k]) for k in order}
            return out

        return self._atomically(tenant, work)

    def drop_tenant(self, tenant: str) -> bool:
        def work(pipe: Any, keys: _Keys, collections: list[str]) -> bool:
            if not pipe.sismember(self._tenants_key, tenant):
                return False
            pipe.multi()
            self._delete_all(pipe, keys, collections)
            pipe.srem(self._tenants_key, tenant)
            pipe.incr(keys.version)  # kept, never reset: open transactions must see a change
            pipe.execute()
            return True

        return self._atomically(tenant, work)

    def flush(self) -> None:
        """Delete every key under this store's prefix (tests, a fresh start)."""
        with self.reachable():
            batch = list(self._client.scan_iter(match=f"{self.prefix}:*", count=1000))
            if batch:
                self._client.delete(*batch)
