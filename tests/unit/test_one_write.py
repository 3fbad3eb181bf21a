"""The connection view that sends a response's head and body in one write."""

from __future__ import annotations

from typing import Any

from specdouble.http.server import _OneWrite


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> Any:
        return f"info:{name}"


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_head_and_body_leave_in_one_write() -> None:
    transport = _Transport()
    view = _OneWrite(transport)  # type: ignore[arg-type]
    view.write(HEAD)
    assert transport.writes == []
    view.write(b"{}")
    assert transport.writes == [HEAD + b"{}"]
    view.write(b"more")  # later parts go straight through
    assert transport.writes == [HEAD + b"{}", b"more"]


def test_an_interim_100_continue_is_not_held_back() -> None:
    transport = _Transport()
    view = _OneWrite(transport)  # type: ignore[arg-type]
    view.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    view.write(HEAD)
    view.write(b"{}")
    assert transport.writes[1:] == [HEAD + b"{}"]


def test_close_sends_a_held_head_and_abort_sends_nothing() -> None:
    closing, aborting = _Transport(), _Transport()
    closed = _OneWrite(closing)  # type: ignore[arg-type]
    closed.write(HEAD)
    closed.close()
    assert closing.writes == [HEAD] and closing.closed
    aborted = _OneWrite(aborting)  # type: ignore[arg-type]
    aborted.write(HEAD)
    aborted.abort()
    assert aborting.writes == [] and aborting.aborted


def test_flush_sends_a_held_head_once_and_the_rest_is_the_transport() -> None:
    transport = _Transport()
    view = _OneWrite(transport)  # type: ignore[arg-type]
    view.write(HEAD)
    view.flush()
    view.flush()
    assert transport.writes == [HEAD]
    assert view.get_extra_info("socket") == "info:socket"
