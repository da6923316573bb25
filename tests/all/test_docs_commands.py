"""Every command in README.md and docs/*.md that starts a server runs as written, on a free port.

The Python blocks run in test_docs_code.py; this is their shell side. A command is a line of a
shell block (a fence with no language, ``sh`` or ``console``; ``$`` prompts, ``\\`` continuations
and ``# comments`` read as a shell reads them), or the ``ExecStart=`` of an ``ini`` block, that
starts with ``glyphcast`` or is ``make demo``. It starts a server when glyphcast's own parser
reads a command that shows the stream on a display with a port: ``run``, ``replay``, ``share``
or ``serve`` with a ``websocket*`` display, the default one included.

Each runs in a directory of its own holding what it reads (a recording to replay), with the
port option the README documents: ``--port N`` (and ``port=N`` in ``--display``) set to a free
port, added where the docs leave the default, and ``--host``/``host=`` set to 127.0.0.1.
What a page names that this machine does not have is swapped for a local stand-in: a Redis
(the docs' own producer publishing to it), a certificate for the documented name. Then every
address it prints must answer ``/healthz`` (asked on the server's port, with the printed
address's Host; behind a documented proxy, as the proxy would forward it), and it is stopped.

A command followed in its block by a ``glyphcast: error:`` line is an example of an error: it
must exit 2 with that line.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import certificates
import pytest
from glyphcast.cli import build_parser
from glyphcast.options import option_names, parse_spec
from glyphcast.play import default_displays
from glyphcast.plugins import get_registry

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GLYPHCAST = Path(sys.executable).parent / "glyphcast"
IN_CI = os.environ.get("CI", "").lower() == "true"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
SHELL = {"", "sh", "console"}

# Displays of the guides' example plugins, which this suite does not install, and where they run instead.
NOT_INSTALLED = {
    "websocket-jsondiff": "tests/browser/test_viewer_third_party_codec.py serves the guide's example codec",
    "upper": "tests/core/test_plugins.py runs an installed example display (it writes a file: no server)",
}
# What the docs name that is not on this machine: Redis at 10.0.0.5, certificates under /etc/ssl.
DOC_REDIS = "redis://10.0.0.5:6379/0"
DOC_CERT = "/etc/ssl/glyphcast/fullchain.pem"
DOC_KEY = "/etc/ssl/glyphcast/privkey.pem"
# A recording the commands replay: long enough to be serving when asked.
RECORDING = '{"version": 2, "width": 80, "height": 24}\n' + "".join(
    f'[{t}, "o", "\\u001b[Hrecorded at {t} s"]\n' for t in range(0, 120, 2)
)


@dataclass
class Command:
    page: str
    line: int
    argv: list[str]
    #: The ``glyphcast: error:`` line the docs show after it, if any.
    error: str = ""

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}:{' '.join(self.argv[:3])}"


def commands() -> list[Command]:
    found = []
    for page in PAGES:
        text = page.read_text("utf-8")
        name = str(page.relative_to(ROOT))
        for fence in FENCE.finditer(text):
            first = text.count("\n", 0, fence.start("code")) + 1
            lines = fence["code"].splitlines()
            if fence["lang"] == "ini":
                lines = [line.removeprefix("ExecStart=") for line in lines if line.startswith("ExecStart=")]
            elif fence["lang"] not in SHELL:
                continue
            joined: list[tuple[int, str]] = []
            for number, line in enumerate(lines, first):
                if joined and joined[-1][1].endswith("\\"):
                    joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
                else:
                    joined.append((number, line.strip().removeprefix("$ ")))
            for index, (number, line) in enumerate(joined):
                try:  # a comment starts a word, as in a shell: "prefix=#" is not one
                    argv = shlex.split(re.sub(r"(^|\s)#.*", "", line))
                except ValueError:  # not shell (a diagram, a tree)
                    continue
                if (
                    argv[:1] == ["make"]
                    and argv[1:] == ["demo"]
                    or argv
                    and Path(argv[0]).name == "glyphcast"
                ):
                    after = joined[index + 1][1] if index + 1 < len(joined) else ""
                    error = after if after.startswith("glyphcast: error: ") else ""
                    found.append(Command(name, number, argv, error))
    return found


def serving_displays(argv: list[str]) -> list[str] | None:
    """The displays with a port that ``glyphcast ARGS`` serves (None: it serves none)."""
    if argv[0] == "make":
        return ["websocket"]
    if "--help" in argv or len(argv) < 2:
        return None
    registry = get_registry()
    args = build_parser(registry).parse_args(argv[1:])
    if args.command not in ("run", "replay", "share", "serve"):
        return None
    chosen = args.display or (
        ["websocket"] if args.command in ("share", "serve") else default_displays(registry)
    )
    names = [parse_spec(spec)[0] for spec in chosen]
    unknown = [name for name in names if name not in registry.displays]
    if unknown:
        assert all(name in NOT_INSTALLED for name in unknown), (
            f"{argv}: displays {unknown} are not installed here"
        )
        return None
    serving = [
        name for name in names if {"host", "port"} <= set(option_names(registry.displays[name].factory))
    ]
    return serving or None


COMMANDS = commands()
SERVERS = [c for c in COMMANDS if serving_displays(c.argv)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        if IN_CI:
            pytest.fail(f"{program} is missing (CI=true: these tests must run, not skip)")
        pytest.skip(f"needs {program} (apt-get install {program}; .ci/run does)")
    return path


class Local:
    """Stand-ins for what the docs name: free ports, a Redis, a certificate, files to read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.cert: Path | None = None
        self.redis: str | None = None
        #: What this test started (a Redis, a producer, the command), stopped at the end.
        self.processes: list[subprocess.Popen[str]] = []

    def certificate(self, names: list[str]) -> tuple[Path, Path]:
        openssl = need("openssl")
        cert, key = certificates.make_certificate(openssl, self.folder, *names, subject="glyphcast docs")
        self.cert = cert
        return cert, key

    def argv(self, command: Command) -> list[str]:
        """The command as it runs here: the port option set (or added), loopback, local stand-ins."""
        argv = list(command.argv)
        if argv[0] == "make":
            return [
                "make",
                "--no-print-directory",
                "-C",
                str(ROOT),
                "demo",
                "DEMO_DEPS=",
                f"GLYPHCAST={GLYPHCAST}",
                f"PORT={self.port}",
            ]
        argv[0] = str(GLYPHCAST)
        text = " ".join(argv)
        if DOC_CERT in text:
            names = re.findall(r"allowed_hosts=([\w.-]+)", text)
            cert, key = self.certificate(names)
        has_port = False
        out: list[str] = []
        for index, arg in enumerate(argv):
            previous = argv[index - 1] if index else ""
            if previous == "--port":
                arg, has_port = str(self.port), True
            elif previous == "--host":
                arg = "127.0.0.1"
            elif previous in ("--display", "--source") or "=" in arg:
                if re.search(r"\bport=\d+", arg):
                    has_port = True
                arg = re.sub(r"\bport=\d+", f"port={self.port}", arg)
                arg = re.sub(r"\bhost=[^,]+", "host=127.0.0.1", arg)
                if DOC_REDIS in arg:
                    arg = arg.replace(DOC_REDIS, self.start_redis())
                if DOC_CERT in arg:
                    arg = arg.replace(DOC_CERT, str(cert)).replace(DOC_KEY, str(key))
            out.append(arg)
        self.write_inputs(out)
        if not has_port:
            out[2:2] = ["--port", str(self.port)]  # right after the subcommand: before share's "--"
        return out

    def write_inputs(self, argv: list[str]) -> None:
        """The recordings a command replays (``replay FILE``, ``replay:path=FILE``)."""
        paths = re.findall(r"replay:path=([^,\s]+)", " ".join(argv))
        if argv[1] == "replay":
            paths.append(argv[2])
        for path in paths:
            (self.folder / path).write_text(RECORDING, "utf-8")

    def start_redis(self) -> str:
        if self.redis is None:
            port = free_port()
            server = subprocess.Popen(
                [
                    need("redis-server"),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                text=True,
            )
            self.processes.append(server)
            deadline = time.monotonic() + 10
            while not accepts(port):
                assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
                time.sleep(0.05)
            self.redis = f"redis://127.0.0.1:{port}/0"
        return self.redis


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def stop(process: subprocess.Popen[str]) -> None:
    """Ctrl-C to the process group this test started, as a terminal sends it; then SIGKILL if need be."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Output:
    """A process's stderr, read on a thread of its own (lines, as they come)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None
        self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def wait_for(self, pattern: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, line) for line in self.lines):
            if process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.2)  # what it said last
                pytest.fail(f"never printed {pattern!r} (exit {process.poll()}):\n{''.join(self.lines)}")
            time.sleep(0.05)


def healthz(url: str, port: int, argv: list[str], cert: Path | None) -> int:
    """``url``'s /healthz, asked on this server's ``port`` with the Host ``url`` names: what a browser
    that resolves the name here gets (through the documented proxy, which strips ``public_url``'s path)."""
    parts = urlsplit(url)
    path = parts.path
    public = re.search(r"public_url=([^,\s]+)", " ".join(argv))
    if public and url.startswith(public[1].rstrip("/")):
        path = "/" + path[len(urlsplit(public[1]).path) :].lstrip("/")  # the proxy strips its sub-path
    health = path[: path.rfind("/") + 1] + "healthz"  # next to the page (/player included)
    tls = "certfile=" in " ".join(argv)
    if tls:
        assert cert is not None
        context = ssl.create_default_context(cafile=str(cert))
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, context=context
        )
        connection.sock = context.wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=parts.hostname
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", health, headers={"Host": parts.netloc})
    return connection.getresponse().status


def test_the_docs_have_server_commands_and_every_display_they_name_is_classified() -> None:
    pages = {c.page for c in SERVERS}
    assert {
        "README.md",
        "docs/sharing.md",
        "docs/deploy.md",
        "docs/scale-out.md",
        "docs/asciinema.md",
    } <= pages
    assert any(c.argv[0] == "make" for c in SERVERS) and any(c.error for c in COMMANDS)
    for reason in NOT_INSTALLED.values():
        assert (ROOT / reason.split()[0]).is_file(), reason


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    here = Local(tmp_path)
    yield here
    for process in reversed(here.processes):
        stop(process)


@pytest.mark.parametrize("command", SERVERS, ids=lambda c: c.id)
def test_the_command_serves_on_the_port_it_is_given_and_answers_healthz(
    command: Command, local: Local
) -> None:
    argv = local.argv(command)
    if command.argv[0] == "make":
        need("make")
    if "vim" in argv:
        need("vim")
    if argv[1] == "run" and "redis:" in " ".join(argv) and "--source" in argv:
        producer = next(
            c
            for c in COMMANDS
            if "--display" in c.argv
            and any(a.startswith("redis:") for a in c.argv)
            and "--source" in c.argv
            and "demo" in c.argv
        )
        published = [str(GLYPHCAST), *(a.replace(DOC_REDIS, local.start_redis()) for a in producer.argv[1:])]
        local.processes.append(
            subprocess.Popen(
                published,
                cwd=local.folder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                text=True,
            )
        )
    process = subprocess.Popen(
        argv,
        cwd=local.folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GLYPHCAST_")},
    )
    local.processes.append(process)
    out = Output(process)
    if command.error:
        assert process.wait(timeout=30) == 2
        time.sleep(0.2)
        assert command.error in "".join(out.lines), "".join(out.lines)
        return
    out.wait_for(r"(serving|listed at) \S+", process)
    if command.argv[1:2] == ["serve"]:
        out.wait_for(r"the streams are listed at ", process)
    urls = [m[1] for line in out.lines for m in [re.search(r"(?:serving|listed at) (\S+)", line)] if m]
    assert urls, "".join(out.lines)
    for url in urls:
        status = healthz(url, local.port, argv, local.cert)
        assert status == 200, f"{url} (asked on port {local.port}): {status}\n{''.join(out.lines)}"
    stop(process)
    assert process.returncode in (0, 130, -signal.SIGINT), "".join(
        out.lines
    )  # make ends by the signal itself
