"""Fixtures for the deployment tests: the reverse-proxy configurations of
docs/deploy.md run for real, with nginx and Caddy from apt, a self-signed
certificate made here, a real ``glyphcast run`` behind them, and apt's Chromium.

The configuration files next to this module are the documented ones (a test
checks docs/deploy.md shows them verbatim). They are written for production
(port 443, certificates under /etc/ssl, upstream 127.0.0.1:8765, the site under
/var/www/html); :func:`render` swaps exactly those values for a free loopback
port and a temporary directory, and fails if one of them is no longer there.
The host names stay: Chromium resolves them to 127.0.0.1
(``--host-resolver-rules``) and the WebSocket client connects to 127.0.0.1
while sending the name (SNI and Host), so Host and Origin are what a real
deployment sees, apart from the port.

Every process runs in its own session, binds 127.0.0.1 only, and is stopped
at teardown (SIGTERM, then SIGKILL). Locally a missing nginx, Caddy, openssl or
Chromium skips; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from glyphcast_websocket import testing

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOC = ROOT / "docs" / "deploy.md"
VIEWER_DIR = ROOT / "plugins" / "glyphcast-websocket" / "glyphcast_websocket" / "viewer"
ARTIFACTS = HERE / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"

NGINX = os.environ.get("GLYPHCAST_NGINX", "/usr/sbin/nginx")
CADDY = os.environ.get("GLYPHCAST_CADDY", "/usr/bin/caddy")
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
CHROMIUM = os.environ.get("GLYPHCAST_CHROMIUM", "/usr/bin/chromium")

# The documented layouts: (config file per proxy, public host name, path glyphcast is under).
LAYOUTS = {
    "host": ("glyphcast.example.org", "/"),
    "subpath": ("example.org", "/glyphcast/"),
}
CONFIGS = {
    ("nginx", "host"): HERE / "nginx-host.conf",
    ("nginx", "subpath"): HERE / "nginx-subpath.conf",
    ("caddy", "host"): HERE / "Caddyfile-host",
    ("caddy", "subpath"): HERE / "Caddyfile-subpath",
}
NAMES = sorted({name for name, _ in LAYOUTS.values()})
# What the documented files say, and what a test run puts in its place.
DOC_UPSTREAM = "127.0.0.1:8765"
DOC_CERT = "/etc/ssl/glyphcast/fullchain.pem"
DOC_KEY = "/etc/ssl/glyphcast/privkey.pem"
DOC_LISTEN = "listen 443 ssl;"
DOC_SITE_ROOT = "/var/www/html"
GLYPHCAST_LINE = "# glyphcast: "

CHROMIUM_ARGS = [
    "--ignore-certificate-errors",
    # The documented host names, served by the proxy on this machine.
    "--host-resolver-rules=" + ",".join(f"MAP {name} 127.0.0.1" for name in NAMES),
]
SUBPROTOCOL = "glyphcast.json.v1"


def unavailable(reason: str) -> None:
    """A missing prerequisite: a failure in CI, a skip (with the reason) locally."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: deploy tests must run, not skip)")
    pytest.skip(reason)


def need(path: str, hint: str) -> None:
    if not os.access(path, os.X_OK):
        unavailable(f"no {path} ({hint})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render(text: str, replacements: Mapping[str, str], source: Path) -> str:
    """``text`` with each documented value replaced; every one must be there,
    so a config that drifts from what the tests assume fails loudly."""
    for old, new in replacements.items():
        assert old in text, f"{source.name} no longer contains {old!r}; update the test's rendering"
        text = text.replace(old, new)
    return text


def glyphcast_options(config: Path) -> str:
    """The ``websocket:...`` display the config's ``# glyphcast:`` line documents."""
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith(GLYPHCAST_LINE):
            command = line[len(GLYPHCAST_LINE) :].split()
            assert command[0] == "--display" and command[1].startswith("websocket:"), line
            return command[1]
    raise AssertionError(f"{config.name} has no {GLYPHCAST_LINE!r} line saying how to start glyphcast")


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} not listening on 127.0.0.1:{port} after {timeout} s:\n{tail(log)}")


def tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else f"({path} is empty)"


def stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    """Stop one process we started (and its session), politely then for good."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class Certificate:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="session")
def certificate(workdir: Path) -> Certificate:
    """A self-signed certificate for the documented names and 127.0.0.1, made by ``openssl``."""
    need(OPENSSL, "apt-get install openssl")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    san = ",".join([*(f"DNS:{name}" for name in NAMES), "DNS:localhost", "IP:127.0.0.1"])
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-days",
            "2",
            "-subj",
            "/CN=glyphcast deploy test",
            "-addext",
            f"subjectAltName={san}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Certificate(cert, key)


class Glyphcast:
    """``glyphcast run --source demo --display websocket:...`` on a free loopback port.

    ``display`` is a documented spec (``websocket:port=8765,...``): it runs on
    127.0.0.1 and a free port instead. The demo ends by itself after 300 s, so a
    leaked server goes away anyway.
    """

    def __init__(self, display: str, *, scheme: str = "http", context: ssl.SSLContext | None = None):
        self.port = free_port()
        self.scheme = scheme
        self.context = context
        assert display.startswith("websocket:"), display
        # The documented port (8765) becomes a free one; loopback only.
        self.display = "websocket:host=127.0.0.1," + render(
            display.removeprefix("websocket:"), {"port=8765": f"port={self.port}"}, Path("glyphcast options")
        )
        self.log = ARTIFACTS / f"glyphcast-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "glyphcast",
            "run",
            "--source",
            "demo",
            "--fps",
            "30",
            "--duration",
            "300",
            "--display",
            self.display,
        ]

    def start(self) -> Glyphcast:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            log.write(f"$ {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 20.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"glyphcast run exited with {self.proc.returncode}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.url}healthz", timeout=1, context=self.context) as resp:
                    if resp.status == 200:
                        return
            except OSError as exc:
                error = exc
                time.sleep(0.1)
        raise RuntimeError(f"glyphcast run not ready after {timeout} s ({error}):\n{tail(self.log)}")

    def stop(self) -> None:
        stop(self.proc, signal.SIGINT)

    def output(self) -> str:
        return tail(self.log, 20000)


@dataclass
class Deployment:
    """glyphcast behind one proxy, configured by one documented file."""

    proxy: str
    layout: str
    port: int
    name: str
    path: str
    control_token: str
    context: ssl.SSLContext
    glyphcast: Glyphcast
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The viewer's public URL (the documented one, on the test's port)."""
        return f"https://{self.name}:{self.port}{self.path}"

    @property
    def ws_url(self) -> str:
        return f"wss://{self.name}:{self.port}{self.path}ws"

    def diagnostics(self) -> str:
        parts = [f"--- {log.name}\n{tail(log)}" for log in self.logs]
        return "\n".join([*parts, f"--- glyphcast\n{self.glyphcast.output()[-3000:]}"])


def start_nginx(
    config: Path, tmp: Path, port: int, upstream: int, cert: Certificate
) -> tuple[subprocess.Popen[bytes], list[Path]]:
    need(NGINX, "apt-get install nginx")
    site_root = tmp / "www"
    site_root.mkdir()
    (site_root / "index.html").write_text("the rest of the site\n")
    site = render(
        config.read_text(encoding="utf-8"),
        {
            DOC_LISTEN: f"listen 127.0.0.1:{port} ssl;",
            DOC_UPSTREAM: f"127.0.0.1:{upstream}",
            DOC_CERT: str(cert.cert),
            DOC_KEY: str(cert.key),
            **({DOC_SITE_ROOT: str(site_root)} if DOC_SITE_ROOT in config.read_text() else {}),
        },
        config,
    )
    (tmp / "site.conf").write_text(site)
    error_log, access_log = tmp / "error.log", tmp / "access.log"
    # Only what running unprivileged from a temp dir needs around the documented server block.
    main = f"""
daemon off;
master_process on;
worker_processes 1;
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp}/nginx.pid;
error_log {error_log} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {access_log};
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main)
    with (tmp / "stdout.log").open("wb") as out:
        proc = subprocess.Popen(
            [NGINX, "-e", str(error_log), "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    logs = [tmp / "stdout.log", error_log, access_log]
    wait_port(port, proc, "nginx", error_log)
    return proc, logs


def start_caddy(
    config: Path, tmp: Path, port: int, upstream: int
) -> tuple[subprocess.Popen[bytes], list[Path]]:
    need(CADDY, "apt-get install caddy")
    site_root = tmp / "www"
    site_root.mkdir()
    (site_root / "index.html").write_text("the rest of the site\n")
    text = config.read_text(encoding="utf-8")
    site = render(
        text,
        {
            DOC_UPSTREAM: f"127.0.0.1:{upstream}",
            **({DOC_SITE_ROOT: str(site_root)} if DOC_SITE_ROOT in text else {}),
        },
        config,
    )
    (tmp / "site.Caddyfile").write_text(site)
    log = tmp / "caddy.log"
    # Global options for a test run: no admin API, our ports, loopback only, its
    # own CA (certificates for the documented names, never installed in the
    # system's trust store), state in the temp dir.
    main = f"""{{
	admin off
	http_port {free_port()}
	https_port {port}
	default_bind 127.0.0.1
	auto_https disable_redirects
	servers {{
		protocols h1 h2
	}}
	local_certs
	skip_install_trust
	storage file_system {{
		root {tmp}/data
	}}
	log {{
		output file {log}
		level INFO
	}}
}}

import {tmp}/site.Caddyfile
"""
    (tmp / "Caddyfile").write_text(main)
    env = {
        **os.environ,
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
    }
    with (tmp / "stdout.log").open("wb") as out:
        proc = subprocess.Popen(
            [CADDY, "run", "--config", str(tmp / "Caddyfile"), "--adapter", "caddyfile"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=tmp,
        )
    logs = [tmp / "stdout.log", log]
    wait_port(port, proc, "caddy", tmp / "stdout.log")
    return proc, logs


def caddy_root(tmp: Path, timeout: float = 10.0) -> Path:
    """Caddy's local CA root (it writes it when it starts issuing)."""
    root = tmp / "data" / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + timeout
    while not root.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"caddy wrote no local CA root at {root}")
        time.sleep(0.05)
    return root


@pytest.fixture(scope="module", params=sorted(CONFIGS), ids=lambda p: f"{p[0]}-{p[1]}")
def deployment(
    request: pytest.FixtureRequest, workdir: Path, certificate: Certificate
) -> Iterator[Deployment]:
    """glyphcast started with the options a documented config names, behind that config."""
    proxy, layout = request.param
    config = CONFIGS[proxy, layout]
    name, path = LAYOUTS[layout]
    port = free_port()
    tmp = workdir / f"{proxy}-{layout}"
    tmp.mkdir()
    token = secrets.token_urlsafe(24)
    # The documented options, with the test's port in the public URL.
    options = render(glyphcast_options(config), {f"https://{name}/": f"https://{name}:{port}/"}, config)
    glyphcast = Glyphcast(f"{options},control_token={token}")
    proc: subprocess.Popen[bytes] | None = None
    try:
        glyphcast.start()
        if proxy == "nginx":
            proc, logs = start_nginx(config, tmp, port, glyphcast.port, certificate)
            context = certificate.context()
        else:
            proc, logs = start_caddy(config, tmp, port, glyphcast.port)
            context = ssl.create_default_context(cafile=str(caddy_root(tmp)))
        yield Deployment(proxy, layout, port, name, path, token, context, glyphcast, logs)
    finally:
        stop(proc)  # SIGTERM: both shut down at once, open WebSockets or not
        glyphcast.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in tmp.glob("*.log"):
            shutil.copy(log, ARTIFACTS / f"{proxy}-{layout}-{log.name}")


# Per module, not per session: Playwright's sync API keeps an event loop running on the main
# thread while it is open, and in a whole-suite run the tests after this directory use asyncio.run().
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """apt's Chromium driven by Playwright (never Playwright's own browser download)."""
    if not (VIEWER_DIR / "index.html").is_file():
        pytest.fail(
            f"viewer not built: {VIEWER_DIR}/index.html is missing; run `cd client && npm ci && npm run build`"
        )
    try:
        with testing.chromium(CHROMIUM, CHROMIUM_ARGS) as browser:
            yield browser
    except testing.BrowserUnavailable as missing:
        unavailable(str(missing))


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1000, "height": 560})
    try:
        yield context.new_page()
    finally:
        context.close()


def hello(
    url: str,
    *,
    context: ssl.SSLContext,
    connect_to: tuple[str, int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``hello`` a json-codec WebSocket client gets at ``url`` over TLS
    trusting ``context``; ``connect_to`` is where the TCP connection goes when
    the URL's name is not in DNS (the name still goes in SNI and Host).

    websockets' asyncio client, on an event loop of its own in a worker thread
    (Playwright's sync API keeps an event loop running in this one). Not its
    threaded client: that reads the TLS connection on one thread while the caller
    writes on another, which OpenSSL forbids for one connection: about one opening
    handshake in a few hundred lost its request that way and waited for the 101
    forever (the TLS 1.3 session tickets a server sends after the handshake were
    being read as the request was written; see tls_thread_race.py). asyncio reads
    and writes a connection on its loop's thread only.
    """
    from urllib.parse import urlsplit

    from websockets.asyncio.client import connect

    parts = urlsplit(url)
    host, port = connect_to or (parts.hostname or "", parts.port or 443)

    async def first_hello() -> dict[str, Any]:
        async with connect(
            url,
            host=host,
            port=port,
            ssl=context,
            server_hostname=parts.hostname,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=dict(headers or {}),
            open_timeout=10,
        ) as ws:
            async with asyncio.timeout(10):
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("type") == "hello":
                        return dict(message)

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hello") as pool:
        return pool.submit(asyncio.run, first_hello()).result()
