"""The docs build fails on what would make the site wrong: a reference to a glyphcast name that
resolves to nothing, a page left out of the index, a package without a reference page.

Each build here is a small site made in a temporary folder with docs/conf.py (the
real build's settings) and the real build's command line (tox.ini, env ``docs``).
"""

from __future__ import annotations

import configparser
import importlib
import os
import re
import shlex
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from glyphcast import hookspecs

pytest.importorskip("sphinx", reason="the docs build needs Sphinx (tox -e docs)")
pytest.importorskip("myst_parser", reason="the docs build needs myst-parser (tox -e docs)")

ROOT = Path(__file__).resolve().parents[2]


def sphinx_options() -> list[str]:
    """The options tox -e docs gives sphinx-build, so these builds fail exactly when it would."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    command = next(line for line in tox["testenv:docs"]["commands"].splitlines() if "sphinx-build" in line)
    words = shlex.split(command)[1:]
    options = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("-c", "-d"):
            skip = True
        elif word.startswith("-"):
            options.append(word)
    return options


def build(folder: Path, pages: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in pages.items():
        path = folder / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        *sphinx_options(),
        "-c",
        str(ROOT / "docs"),
        "-d",
        str(folder / "doctrees"),
        str(folder / "src"),
        str(folder / "html"),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def index(*pages: str) -> str:
    return "Test site\n=========\n\n.. toctree::\n\n" + "".join(f"   {page}\n" for page in pages)


FRAME_API = (
    "```{eval-rst}\n.. autoclass:: glyphcast.Frame\n   :members:\n\n.. autoclass:: glyphcast.Delta\n```\n\n"
)


#: The mistakes the broken site makes, one per page line, each a word its error message names.
MISTAKES = ["NoSuchFrame", "NO_SUCH_CONSTANT", "glyphcast.Frame.deltas", "gone", "no-such-heading", "orphan"]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One site with one of each mistake beside references and links that are fine (a single build:
    --keep-going reports every mistake)."""
    return build(
        tmp_path_factory.mktemp("broken"),
        {
            "docs/index.rst": index("frame", "page", "other"),
            "docs/frame.rst": "Frame\n=====\n\n.. currentmodule:: glyphcast\n\n"
            "See :class:`glyphcast.NoSuchFrame` and, as a docstring inside glyphcast writes it, "
            ":data:`NO_SUCH_CONSTANT`.\n",
            "docs/page.md": "# Page\n\n"
            + FRAME_API
            + "{py:meth}`glyphcast.Frame.delta` and {py:meth}`glyphcast.Frame.deltas`; [gone](gone.md), "
            "[nowhere](#no-such-heading)\n\n"
            # Fine: the path a class is defined at (as signatures write it), other projects' names,
            # a heading by the slug GitHub gives it.
            "{py:class}`glyphcast.frame.Frame`, {py:class}`int`, {py:class}`asyncio.Task`; "
            "[other](other.md#a-heading), [this one](other.md#sharing-a-program-benchmarkssharepy)\n",
            "docs/other.md": "# Other\n\n## A heading\n\n## Sharing a program: `benchmarks/share.py`\n",
            "docs/orphan.md": "# Nobody links me\n",
        },
    )


def test_the_build_runs_with_warnings_as_errors_and_every_reference_checked() -> None:
    assert {"-W", "-n", "-E"} <= set(sphinx_options())


def test_a_broken_site_fails_the_build(broken: subprocess.CompletedProcess[str]) -> None:
    assert broken.returncode != 0


def test_a_reference_to_a_glyphcast_name_that_does_not_exist_is_an_error(
    broken: subprocess.CompletedProcess[str],
) -> None:
    assert "glyphcast.NoSuchFrame" in broken.stderr


def test_a_relative_reference_that_does_not_resolve_is_an_error(
    broken: subprocess.CompletedProcess[str],
) -> None:
    """Docstrings mostly write names relative to their module (:data:`ROLE_CONTROLLER`): those are checked too."""
    assert "NO_SUCH_CONSTANT" in broken.stderr


def test_a_misspelt_method_in_markdown_is_an_error(broken: subprocess.CompletedProcess[str]) -> None:
    assert "glyphcast.Frame.deltas" in broken.stderr
    assert "glyphcast.Frame.delta " not in broken.stderr


def test_a_link_to_a_missing_page_is_an_error(broken: subprocess.CompletedProcess[str]) -> None:
    assert "gone" in broken.stderr


def test_a_link_to_a_missing_heading_is_an_error(broken: subprocess.CompletedProcess[str]) -> None:
    assert "no-such-heading" in broken.stderr


def test_a_page_left_out_of_the_index_is_an_error(broken: subprocess.CompletedProcess[str]) -> None:
    assert re.search(r"orphan.*toctree", broken.stderr)


def test_what_resolves_is_not_reported(broken: subprocess.CompletedProcess[str]) -> None:
    """The control: every message is about one of the mistakes, so the references and links that are
    fine (and the site's settings) build cleanly."""
    messages = [line for line in broken.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert messages
    for message in messages:
        assert any(mistake in message for mistake in MISTAKES), f"reported although fine: {message}"


def test_every_package_has_a_reference_page() -> None:
    pages = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.rst"))
    documented = set(re.findall(r"^\.\. automodule:: (\w+)$", pages, re.M))
    packages = {"glyphcast"} | {p.name.replace("-", "_") for p in (ROOT / "plugins").glob("glyphcast-*")}
    assert packages <= documented, f"no reference page documents {sorted(packages - documented)}"
    index = (ROOT / "docs" / "index.md").read_text()
    for page in (ROOT / "docs" / "api").glob("*.rst"):
        assert f"api/{page.stem}\n" in index, f"docs/index.md does not list api/{page.stem}"


def built_names() -> set[str]:
    """Every object in the site tox -e docs just built (its objects.inv: 4 header lines, then zlib)."""
    html = os.environ.get("GLYPHCAST_DOCS_HTML")
    if not html:
        pytest.skip("GLYPHCAST_DOCS_HTML is unset: tox -e docs builds the site, then points this test at it")
    header, _, body = (Path(html) / "objects.inv").read_bytes().partition(b"zlib.\n")
    assert b"Sphinx inventory version 2" in header
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def test_the_reference_documents_every_public_name_and_every_hook() -> None:
    names = built_names()
    packages = [
        "glyphcast",
        *sorted(p.name.replace("-", "_") for p in (ROOT / "plugins").glob("glyphcast-*")),
    ]
    public = [
        f"{package}.{name}"
        for package in packages
        for name in importlib.import_module(package).__all__
        if not name.startswith("__")
    ]
    hooks = [
        f"glyphcast.hookspecs.{name}" for name, fn in vars(hookspecs).items() if hasattr(fn, "glyphcast_spec")
    ]
    assert len(hooks) >= 10
    missing = sorted(name for name in public + hooks if name not in names)
    assert not missing, f"the API reference does not document {missing}"
