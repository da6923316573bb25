"""Every distribution as a user gets it: built with ``python -m build`` into a
temporary directory, installed as wheels into a fresh virtualenv with
``pip install --find-links DIST "glyphcast[all]"``, and run from a temporary
directory, so nothing of the source tree is on the path.

Needs the viewer built first (``make viewer``; tox's packaging env does it),
``build`` and ``hatchling`` here (builds run with ``--no-isolation``), and the
package index for the runtime dependencies (websockets, msgpack, pyavt, pluggy).
Nothing here skips: a missing prerequisite fails, locally as in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [ROOT, *sorted(p.parent for p in (ROOT / "plugins").glob("glyphcast-*/pyproject.toml"))]

pytestmark = pytest.mark.timeout(300)


def project_name(path: Path) -> str:
    return str(tomllib.loads((path / "pyproject.toml").read_text())["project"]["name"])


def clean_env() -> dict[str, str]:
    """This process's environment minus anything that would put the source tree or
    another environment on the path."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("GLYPHCAST_")}


def build(project: Path, outdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )


@dataclass
class Installed:
    dist: Path
    bin: Path
    cwd: Path

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "glyphcast"), *args],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("dist")
    for project in PROJECTS:
        result = build(project, outdir)
        assert result.returncode == 0, f"python -m build {project} failed:\n{result.stdout}\n{result.stderr}"
    return outdir


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    bin_dir = home / "bin"
    # The glyphcast distributions come from DIST (pinned to the version built); their
    # runtime dependencies from the package index.
    core_version = next(dist.glob("glyphcast-*.whl")).name.split("-")[1]
    result = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--find-links",
            str(dist),
            f"glyphcast[all]=={core_version}",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=clean_env(),
        cwd=home,
    )
    assert result.returncode == 0, f"pip install glyphcast[all] failed:\n{result.stdout}\n{result.stderr}"
    cwd = tmp_path_factory.mktemp("cwd")
    return Installed(dist=dist, bin=bin_dir, cwd=cwd)


# -- what python -m build produces ---------------------------------------------------------
def test_every_distribution_builds_a_wheel_and_an_sdist(dist: Path) -> None:
    for project in PROJECTS:
        stem = project_name(project).replace("-", "_")
        assert len(list(dist.glob(f"{stem}-*-py3-none-any.whl"))) == 1, f"no wheel for {stem}"
        assert len(list(dist.glob(f"{stem}-*.tar.gz"))) == 1, f"no sdist for {stem}"


def test_the_websocket_wheel_and_sdist_carry_the_built_viewer(dist: Path) -> None:
    (wheel,) = dist.glob("glyphcast_websocket-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in ("index.html", "viewer.js", "viewer.css", "player.html", "player.js", "player.css"):
        assert f"glyphcast_websocket/viewer/{asset}" in names, f"{wheel.name} lacks viewer/{asset}"
    assert not any(name.endswith("/.gitignore") for name in names)
    (sdist,) = dist.glob("glyphcast_websocket-*.tar.gz")
    listing = subprocess.run(["tar", "tzf", str(sdist)], capture_output=True, text=True, check=True).stdout
    assert (
        "glyphcast_websocket/viewer/index.html" in listing
        and "glyphcast_websocket/viewer/viewer.js" in listing
    )


def test_a_websocket_build_without_the_viewer_fails_saying_what_to_run(tmp_path: Path) -> None:
    copy = tmp_path / "glyphcast-websocket"
    shutil.copytree(
        ROOT / "plugins" / "glyphcast-websocket",
        copy,
        ignore=shutil.ignore_patterns("viewer", "__pycache__", "*.egg-info"),
    )
    result = build(copy, tmp_path / "dist")
    assert result.returncode != 0
    assert "the browser viewer is not built" in result.stderr + result.stdout
    assert "make viewer" in result.stderr + result.stdout
    assert not list(tmp_path.rglob("*.whl"))


# -- the installed wheels, away from the source tree -----------------------------------------
def test_the_installed_cli_reports_every_distribution_version(installed: Installed) -> None:
    result = installed.run("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected = sorted(project_name(p) for p in PROJECTS[1:])
    assert lines[0].startswith("glyphcast ")
    assert [line.split()[0] for line in lines[1:]] == expected
    # and it is the wheel's code, not the clone's
    where = subprocess.run(
        [
            str(installed.bin / "python"),
            "-c",
            "import glyphcast, glyphcast_websocket as w; print(glyphcast.__file__); print(w.__file__)",
        ],
        cwd=installed.cwd,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    ).stdout.splitlines()
    assert all(str(ROOT) not in path and "site-packages" in path for path in where), where


def test_the_demo_records_from_the_installed_wheels(installed: Installed) -> None:
    result = installed.run("run", "--frames", "20", "--fps", "60", "--display", "record:path=x.cast")
    assert result.returncode == 0, result.stderr
    lines = (installed.cwd / "x.cast").read_text().splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] > 0 and header["height"] > 0
    events = [json.loads(line) for line in lines[1:]]
    assert events and events[0][1] == "o"


def test_the_installed_plugins_bring_their_commands_and_they_run(installed: Installed) -> None:
    """share (glyphcast-pty), replay (glyphcast-record) and serve (glyphcast-websocket), from the wheels'
    entry points: core's CLI names none of them."""
    listed = installed.run("--help")
    assert listed.returncode == 0, listed.stderr
    for command in ("run", "replay", "serve", "share", "plugins"):
        assert f"\n    {command} " in listed.stdout, f"{command} is not in glyphcast --help:\n{listed.stdout}"
    shared = installed.run(
        "share", "--display", "record:path=shared.cast", "--", "sh", "-c", "echo shared; exit 3"
    )
    assert shared.returncode == 3, shared.stderr
    assert "shared" in (installed.cwd / "shared.cast").read_text()
    replayed = installed.run("replay", "shared.cast", "--display", "null")
    assert replayed.returncode == 0, replayed.stderr
    served = installed.run(
        "serve",
        "--stream",
        "a=demo",
        "--stream",
        "b=replay:path=shared.cast",
        "--display",
        "websocket:port=0",
        "--duration",
        "1",
    )
    assert served.returncode == 0, served.stderr
    assert "/s/a/#control=" in served.stderr and "/s/b/#control=" in served.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(installed: Installed) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(installed.bin / "glyphcast"), "run", "--display", f"websocket:port={port}", "--duration", "60"],
        cwd=installed.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, f"glyphcast run exited: {proc.communicate()[1].decode()}"
                assert time.monotonic() < deadline, "the hub never answered"
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_the_installed_hub_serves_the_real_viewer_page_and_its_bundle(served: str) -> None:
    with urllib.request.urlopen(served, timeout=5) as response:
        page = response.read().decode()
        assert response.status == 200
    assert "viewer was not built" not in page
    assert 'src="viewer.js"' in page
    with urllib.request.urlopen(served + "viewer.js", timeout=5) as response:
        assert response.status == 200
        assert "javascript" in response.headers["Content-Type"]
        assert len(response.read()) > 10_000
