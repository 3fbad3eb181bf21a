"""Differential mode: each request the compiled path serves is also served by Connexion.

The two answers are compared (status, the headers that matter, body); a
difference is logged, and in tests the ``differential`` fixture fails on it
(:attr:`DifferentialFront.differences`).

State-changing requests cannot simply run twice. The Connexion path runs
first, on the live state, with a scratch journal; the tenant's data is then
put back from a snapshot taken before, and the compiled path runs for real
(its journal entry is the one kept). Generated values (ids, timestamps) of a
successful write differ between the two runs, so for a 2xx answer to an
unsafe method the bodies are compared by shape (keys and value types), not
by value. A ``Prefer: dynamic=true`` answer draws fresh data (and optional
members) each time: only its status and headers are compared. Fault rules are
applied on both runs, the Connexion run on a scratch copy of the rules (so
``times`` is counted once); a connection the compiled run drops is compared
as an in-process drop (the 500 both stacks answer without a transport), then
dropped for real. Differential mode is for tests and
diagnosis: it is not safe under concurrent writes to one tenant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from specdouble.engine.pipeline import Pipeline
from specdouble.http.observe import ConnectionDropped, drop_connection
from specdouble.support.jsonparse import JSONError, parse_json
from specdouble.world.journal import Journal
from specdouble.world.runtime import Runtime

log = logging.getLogger("specdouble.engine.differential")

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers whose values clients read; the rest (length aside) are compared by presence.
COMPARED = frozenset({"content-type", "www-authenticate", "allow", "preference-applied",
                      "x-total-count", "cache-control", "vary", "location"})


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Difference:
    method: str
    path: str
    connexion: Answer
    compiled: Answer

    def __str__(self) -> str:
        return (f"{self.method} {self.path}: connexion {self.connexion.status} "
                f"{self.connexion.headers} {self.connexion.body[:300]!r} != compiled "
                f"{self.compiled.status} {self.compiled.headers} {self.compiled.body[:300]!r}")


async def _run(app: Any, scope: Scope, body: bytes) -> Answer:
    sent: list[Message] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers: dict[str, str] = {}
    for key, value in start.get("headers", []):
        headers[key.decode("latin-1").lower()] = value.decode("latin-1")
    return Answer(int(start["status"]), headers,
                  b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _same_body(a: bytes, b: bytes, by_shape: bool) -> bool:
    if a == b:
        return True
    if not by_shape:
        return False
    try:
        return _shape(parse_json(a)) == _shape(parse_json(b))
    except JSONError:
        return False


def same(a: Answer, b: Answer, written: bool, drawn: bool) -> bool:
    """Equal status, headers that matter and body (by shape for a write's 2xx; a drawn
    body, whose optional members come and go, is not compared)."""
    if a.status != b.status or set(a.headers) != set(b.headers):
        return False
    if any(a.headers[k] != b.headers[k] for k in COMPARED & set(a.headers)):
        return False
    return drawn or _same_body(a.body, b.body, written and a.status < 300)


class DifferentialFront:
    """Runs what the pipeline would serve through both paths; keeps the compiled answer."""

    def __init__(self, pipeline: Pipeline, runtime: Runtime) -> None:
        self.pipeline = pipeline
        self.runtime = runtime
        self.differences: list[Difference] = []
        self.compared = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline.fallback, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.pipeline.routes.find(scope["method"], scope["path"]) \
            if scope["type"] == "http" else None
        request = self.pipeline._admit(scope, found[0]) if found is not None else None
        if found is None or request is None:
            await self.pipeline.fallback(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        connexion = await self._connexion_first(scope, body, found[1].get("tenant")
                                                or self.pipeline._token_tenant(request))
        drops: list[bool] = []
        compiled = await self._compiled(scope, body, drops)
        self.compared += 1
        prefer = request.headers.get("prefer") or ""
        if not same(connexion, compiled, written=scope["method"] not in SAFE,
                    drawn="dynamic" in prefer.lower()):
            difference = Difference(scope["method"], scope["path"], connexion, compiled)
            self.differences.append(difference)
            log.warning("the compiled path differs from Connexion: %s", difference)
        if drops:
            try:
                await drop_connection(receive, reset=drops[-1])
                return
            except ConnectionDropped:
                pass  # no transport (an in-process client): the answer both paths gave then
        await send({"type": "http.response.start", "status": compiled.status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1"))
                                for k, v in compiled.headers.items()]})
        await send({"type": "http.response.body", "body": compiled.body})

    async def _compiled(self, scope: Scope, body: bytes, drops: list[bool]) -> Answer:
        """The compiled path's answer; a connection it drops is noted in ``drops`` (reset or
        not) and dropped as the run without a transport does it (its 500), not for real."""
        edge = self.pipeline.edge

        async def noted(receive: Receive, reset: bool) -> None:
            drops.append(reset)
            await drop_connection(receive, reset)

        self.pipeline.edge = replace(edge, drop=noted)
        try:
            return await _run(self.pipeline, scope, body)
        finally:
            self.pipeline.edge = edge

    async def _connexion_first(self, scope: Scope, body: bytes, tenant: str | None) -> Answer:
        """The Connexion path's answer, leaving the tenant's data and the journal as they were."""
        store = self.runtime.store
        unsafe = scope["method"] not in SAFE and tenant is not None and store.has_tenant(tenant)
        snapshot = store.export_tenant(tenant) if unsafe and tenant else None
        journal, self.runtime.journal = self.runtime.journal, Journal()
        rules, self.runtime.faults = self.runtime.faults, self.runtime.faults.scratch()
        try:
            return await _run(self.pipeline.fallback, scope, body)
        finally:
            self.runtime.journal = journal
            self.runtime.faults = rules
            if snapshot is not None and tenant is not None:
                store.load_tenant(tenant, snapshot)
