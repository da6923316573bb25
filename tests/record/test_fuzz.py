"""Any cast file, however malformed or hostile: a one-line error or frames of text and SGR, never a traceback
or a terminal larger than glyphcast's limit (hypothesis)."""

from __future__ import annotations

import json
import re
from typing import Any

from glyphcast import Frame
from glyphcast.protocol import MAX_LABEL, MAX_SIDE
from glyphcast_record.asciicast import AsciicastError, CastEncoder, parse
from glyphcast_record.replay import ReplaySource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SGR = re.compile(r"\x1b\[[0-9;:]*m")
OWN_SEQUENCES = re.compile(r"\x1b\[\d+;\d+H|\x1b\[K|\x1b\[H|\x1b\[2J|\x1b\[\?25[hl]")
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: Text as programs and attackers write it: escapes of every kind, controls, wide and combining characters.
hostile_text = st.lists(
    st.one_of(
        st.text(
            alphabet=st.sampled_from("ab é中\u0301\u200d\u202e\x7f\x9b\x9d\x07\r\n\t\b;[]0123456789m?>Pc\\"),
            max_size=12,
        ),
        st.sampled_from(
            [
                "\x1b]0;title\x07",
                "\x1b]52;c;ZXZpbA==\x1b\\",
                "\x1b[6n",
                "\x1b[c",
                "\x1bc",
                "\x1b[31m",
                "\x1b[38;2;1;2;3m",
                "\x1b[?1049h",
                "\x1b[2J",
                "\x1b[10;10H",
                "\x1bP$qm\x1b\\",
                "\x1b",
                "\x1b[",
                "\x1b[999999999999999999C",
                "\x1b[?25l",
                "\x1b(0lqk\x1b(B",
                "\ud800",
                "x\udfff",
            ]
        ),  # lone surrogates: JSON's \\ud800 escapes make them
    ),
    max_size=8,
).map("".join)
sides = st.one_of(st.integers(-2, 12), st.sampled_from([0, 1001, 5000, 100_000, 10**12]))
sizes = st.tuples(sides, sides)


@st.composite
def cast_files(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from([1, 2, 3, 2, 3, 7, None]))
    width, height = draw(sizes)
    events: list[list[Any]] = []
    for _ in range(draw(st.integers(0, 8))):
        code = draw(st.sampled_from(["o", "o", "o", "r", "m", "i", "x"]))
        if code == "r":
            w, h = draw(sizes)
            data = draw(st.sampled_from([f"{w}x{h}", f"{w}x{h}", "x", "80", "axb", ""]))
        else:
            data = draw(hostile_text)
        events.append([draw(st.floats(0, 5, allow_nan=False)), code, data])
    junk = draw(st.sampled_from(["", "", "[oops\n", "{}\n", "[1, 2]\n", "# comment\n"]))
    if version == 1:
        return json.dumps(
            {"version": 1, "width": width, "height": height, "stdout": [[e[0], e[2]] for e in events]}
        )
    header: dict[str, Any] = {"version": version}
    if version == 3:
        header["term"] = {"cols": width, "rows": height}
    else:
        header.update(width=width, height=height)
    lines = [json.dumps(header)] + [json.dumps(e) for e in events]
    cut = draw(st.integers(0, len(lines)))
    return "\n".join(lines[:cut] + [junk.rstrip("\n")] + lines[cut:]) + draw(
        st.sampled_from(["\n", "", '\n[0.1, "o'])
    )


def only_text_and_sgr(row: str) -> bool:
    text = SGR.sub("", row)
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cast_files())
def test_any_cast_is_refused_in_one_line_or_replays_as_text_and_sgr_within_the_limit(content: str) -> None:
    try:
        recording = parse(content, "fuzz.cast")
    except AsciicastError as error:
        assert "\n" not in str(error) and str(error).startswith("fuzz.cast")
        return
    header = recording.header
    assert 1 <= header.width <= MAX_SIDE and 1 <= header.height <= MAX_SIDE
    source = ReplaySource(recording, speed=1000.0)
    for cue in source:
        if cue.size is not None:
            assert 1 <= cue.size[0] <= MAX_SIDE and 1 <= cue.size[1] <= MAX_SIDE
        if cue.rows is not None:
            assert all(only_text_and_sgr(row) for row in cue.rows), cue.rows
        if cue.marker is not None:
            assert len(cue.marker) <= MAX_LABEL and "\x1b" not in cue.marker and only_text_and_sgr(cue.marker)


@settings(max_examples=200, deadline=None)
@given(st.lists(hostile_text, min_size=1, max_size=4), hostile_text)
def test_whatever_an_engine_s_rows_hold_a_recording_gets_text_sgr_and_its_own_painting(
    rows: list[str], label: str
) -> None:
    encoder = CastEncoder(6, len(rows), start=0.0)
    lines = encoder.frame(Frame(tuple(rows), 6, len(rows), 1, 1000.0)) + encoder.marker(label, 1.0)
    for line in lines.splitlines():
        _, code, data = json.loads(line)
        text = SGR.sub("", OWN_SEQUENCES.sub("", data))
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in text), (code, data)
