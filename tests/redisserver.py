"""A real ``redis-server`` on a free loopback port, for the Redis backend's tests.

tests/conftest.py registers the fixtures for every test folder.
Without the binary the tests skip, and say so loudly (a warning in the summary too):
``apt-get install -y redis-server`` makes them run.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from specdouble.state.redis import RedisStore
from specdouble.support.settings import Settings

NO_REDIS = ("redis-server is not installed: the Redis backend is NOT tested "
            "(apt-get install -y redis-server)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process that a test may kill and start again on the same port."""

    def __init__(self, binary: str, directory: str | None = None, durable: bool = False) -> None:
        self.binary = binary
        self.directory = directory  # where SAVE writes (and a restart reads) dump.rdb
        # durable: every acknowledged write is in the append-only file before the reply,
        # so a killed server restarts with exactly what it acknowledged.
        self.durable = durable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *(["--appendonly", "yes", "--appendfsync", "always"] if self.durable
               else ["--appendonly", "no"]),
             *(["--dir", self.directory] if self.directory else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError as err:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from err
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def redis_binary() -> str:
    """The redis-server binary, or a loud skip."""
    binary = shutil.which("redis-server")
    if binary is None:
        warnings.warn(NO_REDIS, stacklevel=1)
        pytest.skip(NO_REDIS)
    return binary


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(redis_binary())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path: object) -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop and start again."""
    server = RedisServer(redis_binary(), directory=str(tmp_path))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisStore]:
    """A RedisStore under a prefix of its own, emptied after the test."""
    store = RedisStore(redis_server.url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    yield store
    store.flush()
    store.close()


# --- the HTTP suite on both backends: the ``backend`` fixture of tests/conftest.py ------------

BACKEND_ENV = "SPECDOUBLE_TEST_BACKEND"
BACKENDS = ("memory", "redis")
_suite_server: list[RedisServer] = []


def suite_backends() -> list[str]:
    """The backends the HTTP tests run on: both unless SPECDOUBLE_TEST_BACKEND names one."""
    chosen = os.environ.get(BACKEND_ENV, "both").strip().lower() or "both"
    if chosen == "both":
        return list(BACKENDS)
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_ENV} must be memory, redis or both, got {chosen!r}")
    return [chosen]


def suite_redis() -> RedisServer:
    """One redis-server for the whole run's Redis-backed apps (a loud skip without one)."""
    if not _suite_server:
        server = RedisServer(redis_binary())
        server.start()
        atexit.register(server.stop)
        _suite_server.append(server)
    return _suite_server[0]


def backend_settings(backend: str, **changes: Any) -> Settings:
    """Settings for a test app on ``backend``.

    On Redis every app gets a key prefix of its own, so each is its own world,
    as separate memory apps are; one redis-server serves the whole run.
    """
    settings = dataclasses.replace(Settings(), **changes)
    if backend == "memory" or "state_url" in changes:
        return settings
    return dataclasses.replace(settings, state_url=suite_redis().url,
                               state_prefix=f"suite-{uuid.uuid4().hex[:10]}")


def lose_connection_while_watching(*args: object, **kwargs: object) -> None:
    """What redis-py raises for a connection lost during a read under WATCH: a WatchError
    caused by the ConnectionError (patch it over ``redis.client.Pipeline.mget``)."""
    try:
        raise redis.ConnectionError("Connection closed by server.")
    except redis.ConnectionError as err:
        raise redis.WatchError("A ConnectionError occurred on while watching one or more "
                               "keys") from err
