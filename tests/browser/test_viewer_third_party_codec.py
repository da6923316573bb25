"""The third-party codec of docs/plugins.md, served by the real CLI to the viewer in real Chromium.

Issue 9's "done means": a codec written only from docs/plugins.md works in the
viewer. The plugin is the page's ``# my_glyphcast_jsondiff/plugin.py`` block,
taken from the page by ``example_plugin()`` of tests/all/test_third_party_codec.py
(the doc stays the single source: if the example or what the guide says about
the viewer stops being true, this fails). The server loads it as the plugin
"jsondiff" through probe_cli.py's ``$GLYPHCAST_PROBE_PLUGINS``, as if it were
pip-installed, and serves it with ``--display websocket`` (every installed
codec) or with the doc's own ``websocket-jsondiff`` display (that codec alone).
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from browser_fixtures import ROOT
from glyphcast import get_registry
from test_viewer import assert_shows_engine_frames

pytestmark = pytest.mark.timeout(120)

SUBPROTOCOL = "example.jsondiff.v1"
BUILT_IN = ["glyphcast.diff.v1", "glyphcast.binary.v1", "glyphcast.json.v1"]
# The extraction helper of the all-packages test, called inside the server process.
DOC_PLUGIN = {"jsondiff": f"{ROOT / 'tests' / 'all' / 'test_third_party_codec.py'}:example_plugin"}

CLEAN_STATS = {"resyncs": 0, "ignored": 0, "dropped": 0, "errors": 0, "protocolErrors": 0, "unknown": 0}


def assert_clean(viewer, snap: dict) -> None:
    """No resync, no ignored or undecodable message, no server error, no page error."""
    assert {k: snap["stats"][k] for k in CLEAN_STATS} == CLEAN_STATS, snap["stats"]
    assert viewer.errors == []


def health_codecs(server) -> list[str]:
    with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=5) as resp:
        return json.load(resp)["codecs"]


def test_viewer_asking_for_the_doc_codec_shows_the_engine_frames_from_its_deltas(server_factory, open_viewer):
    server = server_factory(plugins=DOC_PLUGIN)
    viewer = open_viewer(f"{server.http_url}/?codec={SUBPROTOCOL}")
    viewer.wait_live()
    assert viewer.eval("() => glyphcast.protocols") == [SUBPROTOCOL], "?codec= offers that codec alone"
    viewer.wait("() => glyphcast.stats.deltas >= 10")
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["codec"] == SUBPROTOCOL
    assert snap["stats"]["frames"] >= 1 and snap["stats"]["deltas"] >= 10, snap["stats"]
    assert snap["stats"]["reconnects"] == 0
    assert_clean(viewer, snap)
    assert SUBPROTOCOL in viewer.status_text()


def test_viewer_without_codec_param_keeps_diff_and_hears_of_the_doc_codec(server_factory, open_viewer):
    server = server_factory(plugins=DOC_PLUGIN)
    # The doc codec, next to the built-in ones and any other installed plugin's (glyphcast-asciinema's).
    others = sorted(set(health_codecs(server)) - set(BUILT_IN))
    assert set(health_codecs(server)) == {*get_registry().codecs, SUBPROTOCOL} and SUBPROTOCOL in others
    viewer = open_viewer(f"{server.http_url}/")
    viewer.wait_live()
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["codec"] == "diff"
    assert snap["stats"]["deltas"] > 0 and snap["stats"]["reconnects"] == 0
    assert_clean(viewer, snap)
    # The first connection succeeded, so these came from its hello's `codecs`
    # (/healthz is asked only after a refused handshake): a reconnect offers
    # the doc codec too, after the built-in ones.
    assert sorted(viewer.eval("() => glyphcast.serverCodecs")) == sorted([*BUILT_IN, *others])
    assert viewer.eval("() => glyphcast.protocols") == [*BUILT_IN, *others]


def test_the_doc_display_alone_is_found_by_a_viewer_that_does_not_ask_for_it(server_factory, open_viewer):
    """``--display websocket-jsondiff`` (the doc's display_factory line) speaks only the doc codec:
    the viewer's first offer (the built-in codecs) is refused, it reads the codecs
    from /healthz and connects with the doc codec, as docs/plugins.md says."""
    server = server_factory(plugins=DOC_PLUGIN, display="websocket-jsondiff")
    assert health_codecs(server) == [SUBPROTOCOL]
    viewer = open_viewer(f"{server.http_url}/")
    viewer.wait_live()
    viewer.wait("() => glyphcast.stats.deltas >= 5")
    snap = assert_shows_engine_frames(viewer, server)
    assert snap["codec"] == SUBPROTOCOL
    assert viewer.eval("() => glyphcast.serverCodecs") == [SUBPROTOCOL]
    assert snap["stats"]["reconnects"] >= 1, "the first offer (built-in codecs only) should have been refused"
    assert_clean(viewer, snap)
