"""Sphinx configuration: the docs pages (Markdown, through MyST) and the API reference (autodoc).

Build it with ``tox -e docs`` (the site lands in ``.tox/docs/html/docs/index.html``). The build
runs with ``-W -n``: any warning fails it, and so does a reference to a
glyphcast name that resolves to nothing, whether written in full
(``:class:`~glyphcast.Nope```) or relative to its module as docstrings mostly
do (``:data:`ROLE_NOPE```, ``:meth:`.wsio.Nope```). References to other
projects (the standard library, websockets, pytest) cannot be resolved
offline, so those alone are let through (:func:`_elsewhere`).
"""

from __future__ import annotations

import builtins
import importlib
import inspect

import glyphcast
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.domains import Domain

project = "glyphcast"
author = "the glyphcast contributors"
copyright = "2026, the glyphcast contributors"  # noqa: A001 - the name Sphinx reads
release = version = glyphcast.__version__

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# The source directory is the repository's root (``sphinx-build -c docs . OUT``), so a page links
# another as it does on GitHub (``../benchmarks/README.md#...``, ``docs/plugins.md``) and every such
# link is checked. These are the pages; every one must be in a toctree of docs/index.md.
root_doc = "docs/index"
include_patterns = ["docs/**", "benchmarks/README.md", "CONTRIBUTING.md", "CHANGELOG.md"]
exclude_patterns = [".*", "client", "node_modules", "tests", "plugins", "core", "dist", "build"]

# -- API reference -------------------------------------------------------------
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "separated"

# Every reference to a glyphcast name must resolve (-n makes an unresolved one a warning, -W an error).
# An object documented where users import it from (glyphcast.Frame) also answers to the path it is
# defined at (glyphcast.frame.Frame, as signatures write it): autodoc records that as its canonical name.
# References to anything else (int, asyncio.Task, websockets' classes) cannot be resolved without
# fetching other projects' inventories: _ignore_elsewhere, below, lets those through.
nitpicky = True
nitpick_ignore_regex = [
    # Private names (a leading underscore) are never documented: a private base class is not a reference.
    (r"py:.*", r".*\._\w*"),
    # Type variables of generic classes and functions (LatestSlot[T]).
    (r"py:.*", r"glyphcast[\w.]*\.T"),
]


def _elsewhere(target: str) -> bool:
    """Whether ``target`` names something outside glyphcast: a builtin (``int``) or an object of an
    importable module that is not glyphcast's (``asyncio.Task``, ``websockets.frames.Frame``).

    A relative name (``ROLE_CONTROLLER``, ``.wsio``, ``show``) is glyphcast's own and must resolve.
    """
    name = target.lstrip("~.").split("[", 1)[0]  # dict[str, Any] is split at its commas: "dict[str"
    head = name.split(".", 1)[0]
    if head.startswith("glyphcast"):
        return False
    if "." not in name:
        return hasattr(builtins, name)
    try:
        importlib.import_module(head)
    except ImportError:
        return False
    return True


def _ignore_elsewhere(app: Sphinx, domain: Domain, node: pending_xref) -> bool | None:
    """``warn-missing-reference``: stay quiet about references to other projects, only."""
    return True if node.get("refdomain") == "py" and _elsewhere(node.get("reftarget", "")) else None


def _drop_type_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """``autodoc-process-docstring``: a constant (``SUBPROTOCOL = "glyphcast.json.v1"``) has no docstring of
    its own, only its type's (``str(object='') -> str ...``); show none rather than that."""
    if what in ("data", "attribute") and not inspect.isclass(obj) and obj.__doc__ == type(obj).__doc__:
        lines.clear()


def setup(app: Sphinx) -> None:
    app.connect("warn-missing-reference", _ignore_elsewhere)
    app.connect("autodoc-process-docstring", _drop_type_docstring)


# -- Markdown pages ------------------------------------------------------------
# GitHub-style anchors (#delivery-guarantees) for headings down to ####, as the pages link them.
myst_heading_anchors = 4

# -- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"glyphcast {release}"
html_static_path: list[str] = []
