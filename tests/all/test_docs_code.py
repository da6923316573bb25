"""Every Python block in README.md and docs/*.md runs as written: the Quick start is never pseudo-code again.

Each block runs in a fresh subprocess (``python block.py``, cwd a temporary
directory, a timeout), with every package installed (tox env ``all``). The rules:

- ``8765`` in a block becomes a free port, so blocks that serve (``websocket:port=8765``)
  or connect (``ws://127.0.0.1:8765/ws``) don't collide with a running demo or each other.
- A block whose first line is ``# some/path.py`` is a file of an example package:
  it is written there and imported; later blocks of the same page can import it.
- A block that defines ``class Test...`` is a test file and runs under pytest.
- ``<!-- run against a server -->`` before a block: a ``glyphcast run`` of the demo
  is serving on the port when it runs (a client example).
- ``<!-- not run here: REASON -->`` before a block skips it. Keep these rare, and
  name the test that runs the code instead; ``SKIPPED`` below lists them all, so
  a new one can't slip in unnoticed.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GLYPHCAST = Path(sys.executable).parent / "glyphcast"
FENCE = re.compile(r"(?:<!-- (?P<marker>[^\n]*?) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL)

# Every block that is deliberately not run here, and where it is run instead.
SKIPPED = {
    "docs/plugins.md:TickerDisplay": "tests/core/test_docs.py runs it and checks it writes the newest frame",
    "docs/plugins.md:LogDisplay": "tests/core/test_docs.py runs it and checks it loses no frame",
    "docs/plugins.md:connect": "tests/all/test_third_party_codec.py negotiates example.jsondiff.v1 for real",
}


@dataclass
class Block:
    page: str
    line: int
    code: str
    marker: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def name(self) -> str:
        """What SKIPPED calls it: the page and the first class defined (or the first name imported)."""
        found = re.search(r"^class (\w+)", self.code, re.M) or re.search(r"import (\w+)\n", self.code)
        return f"{self.page}:{found.group(1) if found else self.line}"

    @property
    def file(self) -> str | None:
        first = self.code.split("\n", 1)[0]
        return first[2:].strip() if re.fullmatch(r"# [\w/]+\.py", first) else None


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text("utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            found.append(Block(str(page.relative_to(ROOT)), line, match["code"], match["marker"] or ""))
    return found


BLOCKS = blocks()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def test_the_docs_have_python_blocks() -> None:
    pages = {block.page for block in BLOCKS}
    assert {"README.md", "docs/plugins.md", "docs/protocol.md", "docs/recording.md"} <= pages


def test_every_skipped_block_is_listed_with_its_reason() -> None:
    skipped = {block.name for block in BLOCKS if block.marker.startswith("not run here:")}
    assert skipped == set(SKIPPED), "a block marked <!-- not run here --> must be in SKIPPED (and vice versa)"
    for reason in SKIPPED.values():
        assert (ROOT / reason.split()[0]).is_file(), reason


def start_server(port: int, cwd: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [
            str(GLYPHCAST),
            "run",
            "--source",
            "demo",
            "--display",
            f"websocket:port={port}",
            "--fps",
            "30",
            "--frames",
            "90",
        ],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    for line in server.stderr:
        if "serving http://" in line:
            return server
    server.kill()
    pytest.fail("glyphcast run did not start serving")


@pytest.mark.parametrize("page", sorted({block.page for block in BLOCKS}))
def test_the_python_blocks_run(page: str, tmp_path: Path) -> None:
    """One page's blocks, in order, in one directory (a later block may import an earlier file)."""
    for block in (b for b in BLOCKS if b.page == page):
        if block.marker.startswith("not run here:"):
            continue
        port = free_port()
        code = block.code.replace("8765", str(port))
        server = start_server(port, tmp_path) if block.marker == "run against a server" else None
        try:
            if block.file:
                path = tmp_path / block.file
                path.parent.mkdir(parents=True, exist_ok=True)
                (path.parent / "__init__.py").touch()
                path.write_text(code, "utf-8")
                module = block.file.removesuffix(".py").replace("/", ".")
                result = run([sys.executable, "-c", f"import {module}"], tmp_path)
            elif re.search(r"^class Test", code, re.M):
                (tmp_path / "test_block.py").write_text(code, "utf-8")
                result = run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_block.py"],
                    tmp_path,
                )
            else:
                script = tmp_path / "block.py"
                script.write_text(code, "utf-8")
                started = time.monotonic()
                result = run([sys.executable, str(script)], tmp_path)
                assert time.monotonic() - started < 30, f"{block.id} is too slow for a docs example"
        finally:
            if server is not None:
                server.kill()
                server.wait()
        assert result.returncode == 0, f"{block.id} failed:\n{result.stdout}\n{result.stderr}"


QUICK_START = next(b for b in BLOCKS if b.page == "README.md")


def test_the_quick_start_says_where_the_viewer_is_and_runs_twice(tmp_path: Path) -> None:
    """Pasted into a script: it shows the URLs without any logging set up, and a run.cast left behind is no obstacle."""
    (tmp_path / "run.cast").write_text("left from the last run\n")
    port = free_port()
    script = tmp_path / "quickstart.py"
    script.write_text(QUICK_START.code.replace("8765", str(port)), "utf-8")
    result = run([sys.executable, str(script)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"serving http://127.0.0.1:{port}/\n" in result.stderr
    assert f"to control it, open http://127.0.0.1:{port}/#control=" in result.stderr
    assert result.stderr.count("serving http://") == 1
    lines = (tmp_path / "run.cast").read_text().splitlines()
    assert lines[0].startswith("{") and len(lines) > 100, "run.cast is not a fresh recording of the run"
