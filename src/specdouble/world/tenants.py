"""Tenants as the admin API sees them: seeded, reset, created on demand, dropped.

A tenant created on demand gets the same seeders as the default ones (no
hand-written fixtures) and credentials derived from its name, so a CI job
can compute them; its seed is remembered so a reset gives the same data.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from specdouble.data.fixtures import Fixtures
from specdouble.data.generator import SchemaDataGenerator
from specdouble.data.seeding import seed_tenant
from specdouble.spec.loader import declared_scopes
from specdouble.state.base import StoreUnavailable, TenantData
from specdouble.state.packed import PackedTenant
from specdouble.state.server_state import ServerState
from specdouble.support.clock import iso_millis, utc_now
from specdouble.support.problems import Problem, bad_request, conflict, not_found
from specdouble.world.auth import ScopeCatalog, TokenRegistry
from specdouble.world.catalog import Catalog, Grant
from specdouble.world.runtime import Runtime

# Tenant names: a lower-case letter, then lower-case letters and digits (the rule of
# the tenant path parameter in the built-in specs).
TENANT_NAME = re.compile(r"^[a-z][a-z0-9]+$")
NAME_LENGTH = (3, 16)

_lock = threading.Lock()
log = logging.getLogger("specdouble")


def check_name(name: str, where: str = "body.name") -> None:
    low, high = NAME_LENGTH
    if not isinstance(name, str) or not TENANT_NAME.match(name) or not low <= len(name) <= high:
        raise bad_request(
            "Invalid tenant name.",
            f"{where}: {name!r} is not a tenant name ({low}..{high} characters, a lower-case "
            "letter then lower-case letters and digits)")


def is_default(runtime: Runtime, tenant: str) -> bool:
    return tenant in runtime.fixtures.tenants


# Server-state table: created tenant -> its seed (the creation claim, too).
SEEDS = "tenant-seeds"
# Server-state table and key that say a shared world is seeded, and the lease of its seeder.
WORLD, SEEDED, SEEDING = "world", "seeded", "seeding"
SEEDING_LEASE_SECONDS = 120
# Key of table WORLD: the worlds the shared store lost (GET /__admin/health), the last few.
LOSSES, KEPT_LOSSES = "losses", 10


def seed_of(runtime: Runtime, tenant: str) -> int:
    seed = runtime.shared.get(SEEDS, tenant)
    return runtime.settings.seed if seed is None else int(seed)


def require(runtime: Runtime, tenant: str) -> None:
    if not runtime.store.has_tenant(tenant):
        raise not_found(f"No tenant '{tenant}'.", resource_id=tenant)


def start_data(runtime: Runtime, tenant: str) -> TenantData | PackedTenant:
    """A tenant's start state: the ``--state`` import, else its seed's data.

    Seeding is deterministic, so each (tenant, seed) is generated once and kept
    in ``runtime.seeded`` until the tenant is dropped: packed (compressed JSON
    per collection, ~1/15 of the records' memory) for a tenant created on
    demand, which the memory store keeps as is until a collection is read, so
    the tenant's data and its reset copy are the same bytes; as the records
    themselves for the few default ones.
    """
    if tenant in runtime.start_state:
        return runtime.start_state[tenant]
    key = (tenant, seed_of(runtime, tenant))
    kept = runtime.seeded.get(key)
    if kept is not None:
        return kept
    data = seed_tenant(tenant, key[1], runtime.seeders, runtime.fixtures.services,
                       specs=runtime.specs)
    if is_default(runtime, tenant):
        runtime.seeded[key] = data
        return data
    try:
        packed = runtime.seeded[key] = PackedTenant.pack(data)
    except TypeError:  # an integer beyond 64 bits: generated again on reset
        return data
    return packed


def _forget_seeded(runtime: Runtime, tenant: str) -> None:
    for key in [key for key in runtime.seeded if key[0] == tenant]:
        runtime.seeded.pop(key, None)


def reseed(runtime: Runtime, tenant: str) -> None:
    """Put ``tenant`` back into its start state."""
    runtime.store.load_tenant(tenant, start_data(runtime, tenant))


def _under_lease(runtime: Runtime, work: Callable[[], None], done: Callable[[], bool],
                 wait_seconds: float) -> None:
    """``work()`` while holding the seeding lease, unless ``done()`` turns true first.

    One worker of a shared world seeds at a time; the others wait until what
    they need is there. A holder that dies lets the lease expire.
    """
    deadline = time.monotonic() + wait_seconds
    while not runtime.shared.claim(SEEDING, SEEDING_LEASE_SECONDS):
        if done():
            return
        if time.monotonic() > deadline:
            raise StoreUnavailable(f"the shared world was not seeded within {wait_seconds:.0f} s "
                                   "by the worker that claimed it")
        time.sleep(0.02)
    try:
        work()
    finally:
        runtime.shared.release(SEEDING)


def _world_mark(runtime: Runtime) -> dict[str, Any] | None:
    return runtime.shared.get(WORLD, SEEDED)


def restore(runtime: Runtime, tenant: str,
            wait_seconds: float = 2 * SEEDING_LEASE_SECONDS) -> bool:
    """Seed again a default (or ``--state``) tenant the shared store lost; False for others.

    Several workers find it missing at once (a Redis restarted empty). Each waits
    for the seeding lease; its holder seeds only what is missing (``add_tenant``
    never overwrites), so a write that a worker acknowledged on the restored
    tenant is never replaced by a second seeding.
    """
    if not (is_default(runtime, tenant) or tenant in runtime.start_state):
        return False

    def heal() -> None:
        if _world_mark(runtime) is None:
            _restore_world(runtime)
        elif runtime.store.add_tenant(tenant, start_data(runtime, tenant)):
            log.warning("tenant %r was missing from the state store (deleted behind the "
                        "mock's back?): seeded it again", tenant)

    _under_lease(runtime, heal, lambda: runtime.store.has_tenant(tenant), wait_seconds)
    return True


def check_world(runtime: Runtime, wait_seconds: float = 2 * SEEDING_LEASE_SECONDS) -> None:
    """Restore a world the shared store lost, should no request have run into it yet."""
    if _world_mark(runtime) is not None:
        return

    def heal() -> None:
        if _world_mark(runtime) is None:
            _restore_world(runtime)

    _under_lease(runtime, heal, lambda: _world_mark(runtime) is not None, wait_seconds)


def _restore_world(runtime: Runtime) -> None:
    """The shared store lost the world (Redis restarted without persistence, a flush).

    Seeds the start tenants that are missing, says so once (only the lease
    holder gets here, and it leaves a new mark), and records the loss for
    ``GET /__admin/health``.
    """
    restored = []
    for name in dict.fromkeys([*runtime.fixtures.tenants, *runtime.start_state]):
        if runtime.store.add_tenant(name, start_data(runtime, name)):
            restored.append(name)
            if not is_default(runtime, name):
                _grant(runtime, name, grants(runtime, name))
    now = iso_millis(utc_now())
    lost = runtime.world.get("seededAt")
    losses = runtime.shared.get(WORLD, LOSSES) or []
    runtime.shared.put(WORLD, LOSSES, [*losses, {
        "detectedAt": now, "worldSeededAt": lost, "restored": restored}][-KEPT_LOSSES:])
    runtime.world = {"seed": runtime.settings.seed, "seededAt": now}
    runtime.shared.put(WORLD, SEEDED, runtime.world)
    log.warning(
        "the state store lost the shared world (prefix %r, seeded at %s): every tenant's "
        "data, tenants created on demand, issued tokens, the journal and the fault rules "
        "are gone; seeded again at %s: %s. Writes acknowledged before are lost: turn on "
        "Redis persistence (appendonly yes, appendfsync everysec) to keep the world across "
        "Redis restarts", runtime.settings.state_prefix, lost or "an unknown time", now,
        ", ".join(restored) or "nothing was missing")


def losses(runtime: Runtime) -> list[dict[str, Any]]:
    """The worlds the shared store lost, oldest first (at most the last few)."""
    return list(runtime.shared.get(WORLD, LOSSES) or [])


def build_tokens(fixtures: Fixtures, specs: Mapping[str, Mapping[str, Any]], catalog: Catalog,
                 shared: ServerState | None = None) -> TokenRegistry:
    """The fixtures' tokens and clients; ``all``/``view`` expand to the specs' scopes."""
    scopes: set[str] = set()
    for spec in specs.values():
        scopes |= declared_scopes(spec)
    ttls = {realm.name: realm.token_ttl for realm in catalog.realms()}
    return TokenRegistry.from_fixtures(fixtures.auth, ScopeCatalog(frozenset(scopes)), ttls,
                                       shared)


def start(runtime: Runtime, first_start: Callable[[], None],
          wait_seconds: float = 2 * SEEDING_LEASE_SECONDS) -> None:
    """Seed the default tenants and run ``first_start``, once per world.

    With memory state every server is its own world. With a shared state the
    first worker or replica to start takes a lease and seeds; the others wait
    for its "seeded" mark and join the world as it is (a restart keeps it:
    POST /__admin/reset starts it over). A seeder that dies lets its lease
    expire, and one of those waiting takes over.
    """
    def seed_world() -> None:
        if _world_mark(runtime) is not None:
            return  # seeded by another worker while this one waited
        for tenant in runtime.fixtures.tenants:
            reseed(runtime, tenant)
        first_start()
        runtime.shared.put(WORLD, SEEDED, {"seed": runtime.settings.seed,
                                           "seededAt": iso_millis(utc_now())})

    if _world_mark(runtime) is None:
        _under_lease(runtime, seed_world, lambda: _world_mark(runtime) is not None,
                     wait_seconds)
    mark = _world_mark(runtime) or {}
    runtime.world = mark
    if mark.get("seed") != runtime.settings.seed:
        log.warning("the shared world was seeded with seed %s, this server runs with seed %s: "
                    "its data stays as seeded; POST /__admin/reset reseeds it with the seed "
                    "of the server that answers", mark.get("seed"), runtime.settings.seed)


def restart(runtime: Runtime) -> None:
    """Everything back to how the server started (tests share one app through this).

    The fixtures' tenants go back to their start state, tenants created since
    are dropped, tokens and the data generator are made anew, the journal and
    the fault rules emptied.
    """
    for tenant in runtime.store.tenants():
        if not is_default(runtime, tenant) and tenant not in runtime.start_state:
            runtime.store.drop_tenant(tenant)
            runtime.shared.delete(SEEDS, tenant)
            _forget_seeded(runtime, tenant)
    for tenant in [*runtime.fixtures.tenants, *runtime.start_state]:
        reseed(runtime, tenant)
    runtime.tokens.forget_granted()
    runtime.tokens = build_tokens(runtime.fixtures, runtime.specs, runtime.catalog,
                                  runtime.shared)
    for tenant in runtime.start_state:
        if not is_default(runtime, tenant):
            _grant(runtime, tenant, grants(runtime, tenant))
    runtime.generator = SchemaDataGenerator(runtime.settings.seed)
    runtime.journal.clear()
    runtime.faults.clear()


def reset(runtime: Runtime, tenant: str | None = None) -> list[str]:
    """Reseed one tenant, or every tenant; the names reset."""
    if tenant is not None:
        require(runtime, tenant)
        names = [tenant]
    else:
        # the default tenants too, should a shared store have lost them
        names = sorted(set(runtime.store.tenants()) | set(runtime.fixtures.tenants))
    for name in names:
        reseed(runtime, name)
    return names


def grants(runtime: Runtime, name: str) -> list[Grant]:
    """What each token realm of the served services gives a tenant created as ``name``."""
    return [realm.grant(name) for realm in runtime.catalog.realms() if realm.grant is not None]


def _taken(runtime: Runtime, granted: list[Grant]) -> list[str]:
    tokens = runtime.tokens
    taken = []
    for grant in granted:
        for token, realm, *_ in grant.tokens:
            try:
                tokens.resolve(realm, token)
                taken.append(f"token {token!r} exists already")
            except Problem:
                pass
        for client, realm, *_ in grant.clients:
            if tokens.client(realm, client) is not None:
                taken.append(f"client {client!r} exists already")
    return taken


def create(runtime: Runtime, name: str, seed: int | None = None) -> dict[str, Any]:
    """A freshly seeded tenant; its credentials as the creation answer shows them.

    409 if the name or any of the credentials derived from it is taken.
    """
    check_name(name)
    granted = grants(runtime, name)
    with _lock:
        exists = conflict(f"Tenant '{name}' exists already.", resource_id=name)
        if runtime.store.has_tenant(name):
            raise exists
        taken = _taken(runtime, granted)
        if taken:
            raise conflict(f"The credentials of tenant '{name}' are taken.", *taken)
        # The seed entry is the claim on the name: of two workers creating it, one wins.
        if not runtime.shared.put_new(SEEDS, name, runtime.settings.seed if seed is None
                                      else seed):
            raise exists
        reseed(runtime, name)
        _grant(runtime, name, granted)
    answer: dict[str, Any] = {}
    for grant in granted:
        answer.update(grant.answer)
    return answer


def _grant(runtime: Runtime, name: str, granted: list[Grant]) -> None:
    """Register a created tenant's tokens and clients."""
    tokens = runtime.tokens
    for grant in granted:
        for token, realm, scopes, client_id in grant.tokens:
            tokens.add_static_token(realm, token, name, _scopes(tokens, scopes), client_id)
        for client, realm, secret, scopes in grant.clients:
            tokens.add_client(realm, client, secret, name, _scopes(tokens, scopes))


def _scopes(tokens: TokenRegistry, scopes: frozenset[str] | str) -> frozenset[str]:
    return tokens.scopes.expand(scopes) if isinstance(scopes, str) else scopes


def drop(runtime: Runtime, name: str) -> None:
    """Forget a tenant created on demand: its tokens first, then its data."""
    with _lock:
        require(runtime, name)
        if is_default(runtime, name):
            raise conflict(f"Tenant '{name}' is a default tenant: reset it, it cannot be dropped.",
                           resource_id=name)
        runtime.tokens.remove_tenant(name)
        runtime.store.drop_tenant(name)
        runtime.shared.delete(SEEDS, name)
        runtime.start_state.pop(name, None)
        _forget_seeded(runtime, name)


def summary(runtime: Runtime, name: str) -> dict[str, Any]:
    return {"name": name, "seed": seed_of(runtime, name), "default": is_default(runtime, name)}
