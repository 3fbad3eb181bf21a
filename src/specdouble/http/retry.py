"""Replays a request whose unit of work lost to a concurrent writer (shared stores only).

The Redis store is optimistic: a transaction that finds its tenant changed by
another worker writes nothing and raises TransactionConflict. A ``with`` body
cannot be re-run, but the request can: this middleware keeps the request body,
and while no byte of the answer has gone out, runs the request again, a bounded
number of times, before answering the documented 500.

It also heals a Redis that lost its data (restarted without persistence,
flushed): a default tenant found missing is seeded again, once, and the
request replayed, so the server recovers without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specdouble.http import world
from specdouble.http.runtime import get_runtime
from specdouble.problems import Problem
from specdouble.state.base import MAX_ATTEMPTS, TransactionConflict, UnknownTenant

log = logging.getLogger("specdouble")


class ConflictRetryMiddleware:
    def __init__(self, app: ASGIApp, attempts: int = MAX_ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = await _read_body(receive)
        restored = False
        for attempt in range(self.attempts):
            sent = False
            replay = _replayer(messages, receive)

            async def tracking_send(message: Message) -> None:
                nonlocal sent
                sent = True
                await send(message)

            try:
                await self.app(scope, replay, tracking_send)
                return
            except UnknownTenant as missing:
                if sent or restored or not _restore(missing.tenant):
                    raise
                restored = True
            except TransactionConflict:
                if sent:
                    raise
                # Jitter so the same writers do not collide again in lock step.
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise Problem(500, "The mock's state store is too busy: this request kept losing to "
                      "concurrent writers.",
                      [f"state: {self.attempts} attempts conflicted with other writers"])


def _restore(tenant: str) -> bool:
    """Seed a default (or ``--state``) tenant the store lost; False for any other."""
    runtime = get_runtime()
    if not (world.is_default(runtime, tenant) or tenant in runtime.start_state):
        return False
    log.warning("tenant %r was missing from the state store (data lost?): seeded it again",
                tenant)
    world.reseed(runtime, tenant)
    return True


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
