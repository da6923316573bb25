"""The viewer's packaged files, served over HTTP by name only.

A request path is looked up in the list of files that are really in the
packaged ``viewer/`` directory; it is never joined onto a filesystem path, so
``..``, encoded slashes or absolute paths cannot reach anything else. There is
no directory listing.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

VIEWER_DIR = Path(__file__).resolve().parent / "viewer"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}

NOT_BUILT_HINT = (
    "the viewer was not built: run `make viewer` in the repository, or install a glyphcast-websocket wheel"
)

NOT_BUILT_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glyphcast</title></head>
<body style="font-family: sans-serif; margin: 2em">
<h1>glyphcast</h1>
<p>This server is running, but {
    NOT_BUILT_HINT.replace("`", "<code>", 1)
    .replace("`", "</code>", 1)
    .replace("`", "<code>", 1)
    .replace("`", "</code>", 1)
}.</p>
<p>WebSocket clients can connect at <code>/ws</code> already.</p>
</body></html>
""".encode()


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class Assets:
    """The files a hub may serve: everything under ``root`` except dotfiles."""

    def __init__(self, root: Path = VIEWER_DIR) -> None:
        self.root = root

    def names(self) -> dict[str, Path]:
        """Servable files by URL path (``"viewer.js"``, ``"fonts/a.woff2"``)."""
        if not self.root.is_dir():
            return {}
        found: dict[str, Path] = {}
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                found[relative.as_posix()] = path
        return found

    @property
    def built(self) -> bool:
        return (self.root / "index.html").is_file()

    def get(self, url_path: str) -> Asset | None:
        """The asset for a request path (``"/"`` is ``index.html``), or None (404)."""
        name = unquote(url_path).lstrip("/") or "index.html"
        path = self.names().get(name)
        if path is None:
            return None
        return Asset(path.read_bytes(), content_type(name))
