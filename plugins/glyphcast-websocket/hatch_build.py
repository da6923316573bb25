"""Build hook: a glyphcast-websocket wheel or sdist always carries the built viewer.

The viewer is built from ``client/`` with npm (``make viewer``) into
``glyphcast_websocket/viewer/``, which is build output and gitignored. Without
it a wheel would install a hub whose page only says "the viewer was not
built", so a wheel or sdist build without it fails here, with one line saying
what to run. The hook never runs npm itself: a ``pip install`` stays free of
hidden network access and of races on ``client/node_modules``, and an sdist
(which has no ``client/``) builds its wheel from the assets it carries.
Editable installs skip the check: they serve the source tree's viewer, built or not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The page and its JS bundle: what GET / needs to be the real viewer.
REQUIRED = ("index.html", "viewer.js")


class ViewerBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        viewer = Path(self.root) / "glyphcast_websocket" / "viewer"
        missing = [name for name in REQUIRED if not (viewer / name).is_file()]
        if missing:
            raise RuntimeError(
                f"glyphcast-websocket: the browser viewer is not built ({', '.join(missing)} missing in "
                f"{viewer}): run `make viewer` in the repository root, then build again"
            )
