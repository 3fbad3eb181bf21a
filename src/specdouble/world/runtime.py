"""The per-app objects handlers need (store, tokens, settings), found per request.

Several apps can live in one process (tests, the pytest plugin), so the
runtime is not a module global: a middleware puts the app's runtime into a
context variable for the duration of each request.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from specdouble.data.fixtures import Fixtures
from specdouble.data.generator import SchemaDataGenerator
from specdouble.spec.conformance import ResponseChecker
from specdouble.spec.loader import OperationIndex
from specdouble.state.base import Store, TenantData
from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.support.settings import Settings
from specdouble.world import records
from specdouble.world.auth import TokenRegistry
from specdouble.world.catalog import Catalog
from specdouble.world.faults import FaultRules
from specdouble.world.journal import Journal

_current: ContextVar[Runtime] = ContextVar("specdouble_runtime")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    tokens: TokenRegistry
    fixtures: Fixtures
    # The served services' descriptors: error shapes, realms, collections, seeders.
    catalog: Catalog
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Draws the bodies of `Prefer: dynamic=true` and undocumented-example responses.
    generator: SchemaDataGenerator = field(default_factory=lambda: SchemaDataGenerator(0))
    # Seeded data per (tenant, seed), so a reset does not generate it again.
    seeded: dict[tuple[str, int], Any] = field(default_factory=dict)
    # Background tasks (delayed jobs) kept referenced until they finish.
    tasks: set[Any] = field(default_factory=set)
    # The admin API's request journal and fault rules (see http/observe.py).
    journal: Journal = field(default_factory=Journal)
    faults: FaultRules = field(default_factory=FaultRules)
    # Issued tokens, the journal, fault countdowns, created tenants' seeds: shared
    # by every worker exactly when the store is (state/server_state.py).
    shared: ServerState = field(default_factory=MemoryServerState)
    # Tenants' data imported at start (--state): what a reset goes back to.
    start_state: dict[str, Any] = field(default_factory=dict)
    # The shared world's "seeded" mark as this server last saw it (when it was seeded),
    # so that a store that lost it can be told what it lost.
    world: dict[str, Any] = field(default_factory=dict)
    # Operations of user specs, served by the generic mock (``mock``, ``serve --spec``)
    # and unknown to the Connexion specs: operationId -> what a fault rule may answer.
    generic_statuses: dict[str, set[int]] = field(default_factory=dict)
    # ``serve --spec``: each user spec as ``GET /`` lists it (name, title, file, paths).
    user_listing: tuple[dict[str, Any], ...] = ()
    # ``mock``: user-spec records follow no declared collection, so a state document's
    # collections are checked for shape only.
    open_collections: bool = False

    @property
    def seeders(self) -> dict[str, Any]:
        return self.catalog.seeders()

    @cached_property
    def checker(self) -> ResponseChecker:
        """Response conformance against the specs (tests, ``--check-responses``)."""
        return ResponseChecker(self.specs, self.operations)

    @cached_property
    def operations(self) -> OperationIndex:
        """Every operation of the served specs, by id or by method and path."""
        return OperationIndex(self.specs)

    def mocked_statuses(self) -> dict[str, set[int]]:
        """The statuses each mocked operation documents (what a fault rule may return)."""
        return {**self.operations.documented_statuses(exclude=("admin",)),
                **self.generic_statuses}

    def check_state(self, document: Any) -> TenantData:
        """A state document's tenant data (``PUT /__admin/state``, ``--state``), or a 400."""
        if self.open_collections:
            return records.check_open_state(document)
        return records.check_state(document, self.catalog.collections(), self.specs)

    def operation(self, operation_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The operation with this id and the resolved spec that holds it."""
        operation, spec = self.operations.operation(operation_id)
        return operation, dict(spec)


def get_runtime() -> Runtime:
    return _current.get()


def set_runtime(runtime: Runtime) -> Any:
    return _current.set(runtime)


def reset_runtime(token: Any) -> None:
    _current.reset(token)
