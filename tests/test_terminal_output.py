"""What the server prints: one line per start-up stage, and the opt-in request log."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from specdouble.http.app import create_app
from specdouble.support.settings import Settings
from specdouble.support.terminal import REQUESTS, STAGES, Console, RequestSummary
from tests.conftest import ACME_ALL

PP = "/pick-pack/acme"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def console_out() -> Any:
    """A Console on a plain stream, detached again after the test."""
    out = io.StringIO()
    Console(out).attach(requests=True)
    yield out
    Console(out).attach(requests=False, stages=False)


def test_start_prints_one_line_per_stage(console_out: io.StringIO) -> None:
    create_app(Settings())
    lines = console_out.getvalue().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["specs loaded", "tenants seeded"]
    assert "acme, globex" in lines[1]


def test_request_log_is_off_by_default(console_out: io.StringIO, make_client: Any) -> None:
    client = make_client()
    console_out.truncate(0)
    client.get(f"{PP}/events", headers=ACME_ALL)
    assert console_out.getvalue() == ""


def test_request_log_says_what_happened(console_out: io.StringIO, make_client: Any) -> None:
    client = make_client(log_requests=True)
    console_out.seek(0)
    console_out.truncate(0)
    client.get(f"{PP}/events", params={"pageSize": 1}, headers=ACME_ALL)
    client.get(f"{PP}/events", params={"pageSize": "abc"}, headers=ACME_ALL)
    client.get(f"{PP}/events", headers={**ACME_ALL, "Prefer": "code=500"})
    client.post("/__admin/faults", json={"operationId": "listEvents", "status": 500})
    client.get(f"{PP}/events", headers=ACME_ALL)
    ok, invalid, forced, faulted = console_out.getvalue().splitlines()
    assert ok.startswith("GET /pick-pack/acme/events acme listEvents 200 ")
    assert ok.endswith(" ms")
    assert invalid.startswith("GET /pick-pack/acme/events acme listEvents 400 ")
    assert invalid.endswith("query.pageSize: 'abc' is not of type 'integer'")
    assert forced.endswith("forced by Prefer") and " 500 " in forced
    assert faulted.endswith("fault fault-1") and "\033" not in faulted


def test_colour_only_on_a_terminal() -> None:
    summary = RequestSummary("POST", "/pick-pack/acme/events", "acme", "createEvent", 409, 2.5,
                             "conflict")
    record = logging.LogRecord("specdouble.requests", logging.INFO, "", 0, summary.render(),
                               None, None)
    record.summary = summary
    for stream, coloured in ((Terminal(), True), (io.StringIO(), False)):
        Console(stream).attach(requests=True)
        try:
            REQUESTS.handle(record)
        finally:
            Console(stream).attach(requests=False, stages=False)
        text = stream.getvalue()
        assert ("\033[" in text) is coloured
        assert "409" in text and "createEvent" in text and "conflict" in text
    for logger in (REQUESTS, STAGES):
        assert logger.propagate and not any(getattr(h, "_specdouble", False)
                                            for h in logger.handlers)


def test_a_dropped_connection_and_long_notes() -> None:
    summary = RequestSummary("GET", "/x", None, None, None, 1.0, "y" * 500)
    line = summary.render()
    assert line.startswith("GET /x - - dropped 1.0 ms ") and line.endswith("...")
    assert len(line) < 200
