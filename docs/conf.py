"""Sphinx configuration: the docs pages (Markdown, through MyST) and the API reference (autodoc).

Build it with ``tox -e docs`` (the site lands in ``.tox/docs/html/docs/index.html``). The build
runs with ``-W -n``: any warning fails it, and so does a reference to a
glyphcast name that resolves to nothing (``:class:`~glyphcast.Nope```, a typo
in ``:meth:``, a page that links a module the reference does not document).
Names outside glyphcast (the standard library, websockets, pytest) cannot be
resolved offline, so only references that start with ``glyphcast`` are held to
that (``nitpick_ignore_regex`` below).
"""

from __future__ import annotations

import glyphcast

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
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "separated"

# Every reference to a glyphcast name must resolve (-n makes an unresolved one a warning, -W an error).
# An object documented where users import it from (glyphcast.Frame) also answers to the path it is
# defined at (glyphcast.frame.Frame, as signatures write it): autodoc records that as its canonical name.
# References to anything else (int, asyncio.Task, websockets' classes) cannot be resolved without
# fetching other projects' inventories, so they are not checked.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!glyphcast).*"),
    # Private names (a leading underscore) are never documented: a private base class is not a reference.
    (r"py:.*", r".*\._\w*"),
    # Type variables of generic classes and functions (LatestSlot[T]).
    (r"py:.*", r"glyphcast[\w.]*\.T"),
]

# -- Markdown pages ------------------------------------------------------------
# GitHub-style anchors (#delivery-guarantees) for headings down to ####, as the pages link them.
myst_heading_anchors = 4

# -- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"glyphcast {release}"
html_static_path: list[str] = []
