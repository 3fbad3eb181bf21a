"""Replays a request whose unit of work lost to a concurrent writer (shared stores only).

The Redis store is optimistic: a transaction that finds its tenant changed by
another worker writes nothing and raises TransactionConflict. A ``with`` body
cannot be re-run, but the request can: this middleware keeps the request body,
and while no byte of the answer has gone out, runs the request again after a
random backoff, a bounded number of times, before answering the documented 500.
A request that keeps losing asks for the tenant's priority lease, so under a
storm of writers to one tenant every request still gets its turn.

It also heals a Redis that lost its data (restarted without persistence,
flushed): a default tenant found missing is seeded again, once for all
workers and never over a tenant that exists by then (``tenants.restore``),
and the request replayed, so the server recovers without a restart.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specdouble.state.base import (
    MAX_ATTEMPTS,
    OptimisticStore,
    StoreUnavailable,
    TransactionConflict,
    UnknownTenant,
)
from specdouble.support.problems import Problem
from specdouble.support.settings import DEFAULT_STATE_TIMEOUT
from specdouble.world import tenants
from specdouble.world.runtime import get_runtime

# Replays of one request before its documented 500. Each conflict means another
# writer committed, so the world moves on; backing off lets a loser get its turn:
# with 4 workers writing one tenant, 20 replays without backoff were not enough.
REQUEST_ATTEMPTS = 3 * MAX_ATTEMPTS
# After this many lost attempts the request asks for the tenant's priority lease.
PRIORITY_AFTER = 8
BACKOFF_BASE_SECONDS = 0.002
BACKOFF_CAP_SECONDS = 0.064


def backoff(attempt: int) -> float:
    """Capped exponential backoff with full jitter, so losers do not collide in lock step."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt))


class ConflictRetryMiddleware:
    """``state_timeout``: how long replays go on after the store's connection broke
    mid-transaction (a Redis going away); then the documented Redis-unavailable 500."""

    def __init__(self, app: ASGIApp, attempts: int = REQUEST_ATTEMPTS,
                 state_timeout: float = DEFAULT_STATE_TIMEOUT) -> None:
        self.app = app
        self.attempts = attempts
        self.state_timeout = state_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = await _read_body(receive)
        deadline = time.monotonic() + self.state_timeout
        restored = False
        starved: str | None = None  # the tenant this request keeps losing on
        for attempt in range(self.attempts):
            sent = False
            replay = _replayer(messages, receive)

            async def tracking_send(message: Message) -> None:
                nonlocal sent
                sent = True
                await send(message)

            try:
                if starved is None:
                    await self.app(scope, replay, tracking_send)
                else:
                    store = cast(OptimisticStore, get_runtime().store)
                    with store.priority(starved):
                        await self.app(scope, replay, tracking_send)
                return
            except UnknownTenant as missing:
                # Off the event loop: it may wait for the worker that holds the seeding lease.
                if sent or restored or not await asyncio.to_thread(
                        tenants.restore, get_runtime(), missing.tenant):
                    raise
                restored = True
            except TransactionConflict as lost:
                if sent:
                    raise
                if lost.connection_lost and time.monotonic() >= deadline:
                    raise StoreUnavailable(
                        f"the state store's connection kept breaking for {self.state_timeout:g} s "
                        f"(last: {lost.__cause__})") from None
                if attempt + 1 >= PRIORITY_AFTER:
                    starved = lost.tenant
                await asyncio.sleep(backoff(attempt))
        raise Problem(500, "The mock's state store is too busy: this request kept losing to "
                      "concurrent writers.",
                      [f"state: {self.attempts} attempts conflicted with other writers"])


def _replayer(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out the kept body again, then waits on the real one."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _read_body(receive: Receive) -> list[Message]:
    """Every ``http.request`` message of the body (a disconnect ends it early)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages
