"""The websocket display's options are declared once (Settings' fields, and options.py for the rest):
the factory, HubDisplay, the docs and the README all follow that one declaration."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import glyphcast
import pytest
from glyphcast import DisplayError, OptionError, get_registry
from glyphcast_websocket import HubDisplay, WebSocketDisplay
from glyphcast_websocket.options import DISPLAY_OPTIONS, OPTIONS, SETTING_OPTIONS, markdown_table
from glyphcast_websocket.settings import PYTHON, Settings

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "websocket-options.md"

#: The factory's options before they were declared once (name, default): none may change.
FACTORY_BEFORE = [
    ("host", "127.0.0.1"),
    ("port", 8765),
    ("stream", "main"),
    ("token", ""),
    ("token_file", None),
    ("control_token", ""),
    ("control_token_file", None),
    ("control", True),
    ("allow_origin", ()),
    ("allowed_hosts", ()),
    ("public_url", ""),
    ("frame_ancestors", ()),
    ("trusted_proxies", ()),
    ("certfile", ""),
    ("keyfile", ""),
    ("max_clients", 256),
    ("compression", True),
    ("reuse_port", False),
]
#: HubDisplay's keyword options besides its own (codecs, name, stream, width, height).
HUB_DISPLAY_BEFORE = [
    "token",
    "control_token",
    "allow_origin",
    "allowed_hosts",
    "public_url",
    "frame_ancestors",
    "trusted_proxies",
    "certfile",
    "keyfile",
    "max_clients",
    "write_limit",
    "ping_interval",
    "compression",
    "reuse_port",
]


def test_every_websocket_display_takes_the_declared_options_with_their_defaults() -> None:
    websockets = {name: e for name, e in get_registry().displays.items() if name.startswith("websocket")}
    assert "websocket" in websockets
    for name, entry in websockets.items():
        parameters = inspect.signature(entry.factory).parameters.values()
        assert [(p.name, p.default) for p in parameters] == FACTORY_BEFORE, name
        assert [(o.name, o.default) for o in DISPLAY_OPTIONS] == FACTORY_BEFORE
        for option in DISPLAY_OPTIONS:
            assert f"``{option.name}``" in (entry.factory.__doc__ or ""), (
                f"{name}'s help misses {option.name}"
            )


def test_hub_display_takes_the_setting_options_by_keyword() -> None:
    parameters = inspect.signature(HubDisplay).parameters
    assert list(parameters) == [
        "host",
        "port",
        "codecs",
        "name",
        "stream",
        *HUB_DISPLAY_BEFORE,
        "width",
        "height",
    ]
    assert [o.name for o in SETTING_OPTIONS] == HUB_DISPLAY_BEFORE
    assert {o.name for o in OPTIONS if o.audience == PYTHON} == {"write_limit", "ping_interval"}


def test_an_option_given_as_text_is_converted_to_its_declared_type() -> None:
    display = glyphcast.open_display(
        "websocket:port=0,allow_origin=https://a.example,https://b.example,max_clients=3,compression=no,"
        "control=false"
    )
    assert isinstance(display, WebSocketDisplay)
    assert display.settings.allow_origin == ("https://a.example", "https://b.example")
    assert (display.settings.max_clients, display.settings.compression) == (3, False)
    assert display.settings.control_token == ""


def test_unknown_options_and_unusable_values_are_refused_as_before() -> None:
    with pytest.raises(OptionError, match="has no option 'max_client'; valid options: host, port, stream"):
        glyphcast.open_display("websocket:max_client=3")
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_handshakes'"):
        HubDisplay(port=0, max_handshakes=3)  # a hub's own value, not an option
    with pytest.raises(DisplayError, match="^max_clients must be at least 1, not 0$"):
        HubDisplay(port=0, max_clients=0)
    with pytest.raises(DisplayError, match="^TLS needs both certfile and keyfile"):
        HubDisplay(port=0, certfile="cert.pem")


def test_hub_display_ping_interval_is_also_the_ping_timeout() -> None:
    settings = HubDisplay(port=0, ping_interval=3.5).settings
    assert (settings.ping_interval, settings.ping_timeout) == (3.5, 3.5)
    assert Settings.of({}) == Settings()


def test_the_docs_table_of_options_is_the_declared_one() -> None:
    page = PAGE.read_text()
    table = "\n".join(line for line in page.splitlines() if line.startswith("|"))
    assert table == markdown_table(), (
        "docs/websocket-options.md's table is not the declared options; replace it with the output of\n"
        "python -c 'from glyphcast_websocket.options import markdown_table; print(markdown_table())'"
    )


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("README.md", r"^\| `websocket` \|(.*)$"),
        ("docs/plugins.md", r"a display factory with the WebSocket display's options \(([^)]*)\)"),
        ("docs/deploy.md", r"^\| option \| behind a proxy \|\n(?:\|.*\n)+"),
    ],
)
def test_options_the_docs_name_are_declared_ones(path: str, where: str) -> None:
    text = (ROOT / path).read_text()
    found = re.search(where, text, re.M)
    assert found, f"{path}: the list of websocket options moved; update this test"
    named = set(re.findall(r"`([a-z_]+)(?:=[^`]*)?`", found.group(found.lastindex or 0)))
    assert named, path
    unknown = named - {o.name for o in OPTIONS}
    assert not unknown, f"{path} names options that do not exist: {sorted(unknown)}"
