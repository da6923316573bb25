"""The viewer's wire constants (client/src/protocol.js) equal glyphcast.protocol's.

protocol.js keeps each constant a plain literal (``export const NAME = 1;``,
``"..."``, or ``Object.freeze({...})`` / ``Object.freeze([...])`` of strings and
integers), so this test reads the file without running JavaScript. Change a
subprotocol, close code or message type on one side only and it fails.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from glyphcast import protocol

PROTOCOL_JS = Path(__file__).resolve().parents[2] / "client" / "src" / "protocol.js"

_CONST = re.compile(
    r"^export const (\w+) = (Object\.freeze\((?P<frozen>[\[{].*?[\]}])\)|(?P<plain>[^;]+));",
    re.MULTILINE | re.DOTALL,
)
_KEY = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*:", re.MULTILINE)


def parse_constants(source: str) -> dict[str, Any]:
    """Every ``export const`` with a literal value, as Python values."""
    constants: dict[str, Any] = {}
    for match in _CONST.finditer(source):
        literal = match.group("frozen") or match.group("plain")
        # JS object keys are bare identifiers; a trailing comma is allowed in JS, not JSON.
        literal = _KEY.sub(r'\1"\2":', literal)
        literal = re.sub(r",(\s*[\]}])", r"\1", literal)
        try:
            constants[match.group(1)] = json.loads(literal)
        except ValueError:
            continue  # not a literal (a computed value): nothing to compare
    return constants


@pytest.fixture(scope="module")
def js() -> dict[str, Any]:
    return parse_constants(PROTOCOL_JS.read_text(encoding="utf-8"))


def test_the_parser_reads_every_constant_this_test_compares(js: dict[str, Any]) -> None:
    assert {
        "PROTOCOL_VERSION",
        "SUBPROTOCOLS",
        "CLOSE",
        "SERVER_TYPES",
        "VIEWER_TYPES",
        "CONTROLLER_TYPES",
        "TOKEN_SUBPROTOCOL_PREFIX",
        "DEFAULT_CODECS",
        "PRODUCER_STATES",
    } <= set(js)


def test_protocol_version(js: dict[str, Any]) -> None:
    assert js["PROTOCOL_VERSION"] == protocol.PROTOCOL_VERSION


def test_subprotocols(js: dict[str, Any]) -> None:
    assert js["SUBPROTOCOLS"] == protocol.SUBPROTOCOLS
    assert set(js["DEFAULT_CODECS"]) == set(protocol.SUBPROTOCOLS)
    assert js["TOKEN_SUBPROTOCOL_PREFIX"] == protocol.TOKEN_SUBPROTOCOL_PREFIX


def test_close_codes(js: dict[str, Any]) -> None:
    assert js["CLOSE"] == protocol.CLOSE_CODES
    for name, code in js["CLOSE"].items():
        assert getattr(protocol, f"CLOSE_{name}") == code


def test_message_types(js: dict[str, Any]) -> None:
    assert set(js["SERVER_TYPES"]) == protocol.SERVER_TYPES
    assert set(js["VIEWER_TYPES"]) == protocol.VIEWER_TYPES
    assert set(js["CONTROLLER_TYPES"]) == protocol.CONTROLLER_TYPES
    for name in ("SERVER_TYPES", "VIEWER_TYPES", "CONTROLLER_TYPES"):
        assert len(js[name]) == len(set(js[name])), f"{name} lists a type twice"


def test_producer_states(js: dict[str, Any]) -> None:
    assert (
        set(js["PRODUCER_STATES"]) == protocol.PRODUCER_STATES == set(typing.get_args(protocol.ProducerState))
    )
    assert js["PRODUCER_STATES"][0] == protocol.PRODUCER_LIVE  # what a client assumes until told


def test_the_main_stream_has_the_hubs_name_for_it(js: dict[str, Any]) -> None:
    from glyphcast_websocket.named_stream import MAIN

    assert js["MAIN_STREAM"] == MAIN


def test_a_change_on_one_side_is_noticed() -> None:
    """The parser really reads values: an edited copy of protocol.js no longer matches."""
    source = PROTOCOL_JS.read_text(encoding="utf-8")
    edited = parse_constants(
        source.replace("TRY_AGAIN_LATER: 1013", "TRY_AGAIN_LATER: 4013")
        .replace('"presence",', "")
        .replace('"stalled",', "")
        .replace('json: "glyphcast.json.v1"', 'json: "glyphcast.json.v2"')
    )
    assert edited["CLOSE"] != protocol.CLOSE_CODES
    assert set(edited["SERVER_TYPES"]) != protocol.SERVER_TYPES
    assert set(edited["PRODUCER_STATES"]) != protocol.PRODUCER_STATES
    assert edited["SUBPROTOCOLS"] != protocol.SUBPROTOCOLS
