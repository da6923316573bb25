"""A real redis-server per test session (and one per outage test), on a free loopback port, no persistence.

Nothing is mocked: the display writes and the source reads through redis-py
to the redis-server that .ci/run installs from apt. Killing and restarting the
server (same port, empty, as a restarted Redis without persistence is) is how
the outage tests make Redis go away.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.typing import EncodableT, FieldT

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """``redis-server --port P --save '' --appendonly no`` that a test can kill and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.fail("redis-server is not installed: apt-get install redis-server (.ci/run does it)")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, as when a Redis machine dies."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis for the session; tests keep apart by stream name (see ``stream_name``)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, for tests that kill it."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stream_name() -> str:
    return "t" + uuid.uuid4().hex[:12]


# -- redis-py's stream commands, as this suite's clients use them --------------------------------------
# redis-py types them for every client: xadd takes a dict of its own key and value unions (dict is
# invariant, so the dict[bytes, bytes] of entries.encode is not one), and an xrange reply may be None,
# with entries whose fields may be None. A client without decode_responses reading a stream gets a list
# of (id, fields), all bytes.
Entry = tuple[bytes, dict[bytes, bytes]]


def as_fields(fields: Mapping[bytes, Any] | Mapping[str, Any]) -> dict[FieldT, EncodableT]:
    """``fields`` (an entry's, e.g. ``entries.encode(message)``) as ``xadd`` is typed to take them."""
    return dict(fields.items())


def entries_in(reply: object) -> list[Entry]:
    """An ``xrange``/``xrevrange`` reply to one of this suite's clients, typed as what it is."""
    assert isinstance(reply, list)
    return reply
