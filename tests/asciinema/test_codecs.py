"""The ALiS and asciicast codecs without sockets: the bytes asciinema's description gives, and what a
player (``asciinema_client``, written from that description) shows after every update."""

from __future__ import annotations

import json
from typing import Any

import glyphcast
import pytest
from asciinema_client import (
    ALIS_MAGIC,
    AlisDecoder,
    AsciicastDecoder,
    Eot,
    Init,
    Output,
    Player,
    ProtocolViolation,
    Resize,
    read_uleb128,
)
from glyphcast import CodecError, Frame, protocol
from glyphcast.codec import Codec, Encoded
from glyphcast.text import strip_ansi
from glyphcast_asciinema import AlisCodec, AsciicastV2Codec, AsciicastV3Codec, Timeline, alis
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.timeout(60)

ORIGIN = 1_700_000_000_000.0  # ms: the codecs' time 0 in these tests
ROWS = [
    "\x1b[1;31mglyphcast\x1b[0m live",
    "",
    "\x1b[38;5;208mcolour\x1b[0m and \x1b[7minverse\x1b[0m",
    "last",
]


def frame(
    seq: int,
    rows: list[str] | tuple[str, ...] = ROWS,
    width: int = 30,
    ts: float | None = None,
    cursor: tuple[int, int] | None = None,
) -> Frame:
    rows = tuple(rows)
    return Frame(rows, width, len(rows), seq, ORIGIN + 40.0 * seq if ts is None else ts, cursor)


def text(f: Frame) -> list[str]:
    """What a terminal shows for a frame: its rows' plain text, trailing blanks dropped."""
    return [strip_ansi(row).rstrip() for row in f.rows]


def messages(encoded: Encoded | None) -> list[Any]:
    if encoded is None:
        return []
    return list(encoded) if isinstance(encoded, list | tuple) else [encoded]


class Viewer:
    """A codec's output fed to the independent decoder and player, as one session gets it."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self.player = Player()
        self.alis = AlisDecoder()
        self.cast = AsciicastDecoder(3 if codec.subprotocol == "v3.asciicast" else 2)
        self.events: list[Any] = []

    def feed(self, encoded: Encoded | None) -> None:
        for message in messages(encoded):
            if self.codec.subprotocol == "v1.alis":
                assert isinstance(message, bytes)
                event = self.alis.decode(message)
                if event is not None:
                    self.events.append(event)
                    self.player.alis(event)
            else:
                assert isinstance(message, str)
                item = self.cast.decode(message)
                self.events.append(item)
                self.player.asciicast(self.cast.version, item)

    def join(self, first: Frame) -> None:
        self.feed(
            self.codec.encode(
                protocol.hello(
                    server="t",
                    codec=self.codec.subprotocol,
                    width=first.width,
                    height=first.height,
                    role="viewer",
                )
            )
        )
        self.feed(self.codec.encode_frame(first))


CODECS = [AlisCodec, AsciicastV2Codec, AsciicastV3Codec]


def make(kind: type) -> Any:
    return kind(Timeline(ORIGIN))


# -- ALiS bytes, checked against the examples in asciinema's description ------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (10_000, b"\x90\x4e"),
        (50_000, b"\xd0\x86\x03"),
        (125_000, b"\xc8\xd0\x07"),
        (500_000, b"\xa0\xc2\x1e"),
        (1_000_000, b"\xc0\x84\x3d"),
    ],
)
def test_leb128_matches_the_spec_examples_and_the_independent_reader(value: int, encoded: bytes) -> None:
    assert alis.leb128(value) == encoded
    assert read_uleb128(encoded, 0) == (value, len(encoded))


def test_events_are_byte_for_byte_the_spec_examples() -> None:
    # "Init with 80x24 terminal, no theme, "Hello!" initial data"
    assert alis.init(0, 0, 80, 24, "Hello!") == b"\x01\x00\x00\x50\x18\x00\x06Hello!"
    # "Output "ls -la\n" after 125ms", id 1
    assert alis.output(1, 125_000, "ls -la\n") == b"\x6f\x01\xc8\xd0\x07\x07ls -la\n"
    # "Resize to 100x30 after 10ms", id 3
    assert alis.resize(3, 10_000, 100, 30) == b"\x72\x03\x90\x4e\x64\x1e"
    # "Marker with no label after 1s", id 4
    assert alis.marker(4, 1_000_000, "") == b"\x6d\x04\xc0\x84\x3d\x00"
    # "EOT after 1s"
    assert alis.eot(1_000_000) == b"\x04\xc0\x84\x3d"
    assert alis.MAGIC == ALIS_MAGIC == bytes([0x41, 0x4C, 0x69, 0x53, 0x01])


def test_alis_strings_count_utf8_bytes_not_characters() -> None:
    event = alis.output(2, 0, "漢字 ✓")
    assert AlisDecoder()._event(0x6F, event) == Output(2, 0, "漢字 ✓")
    assert event[3] == len("漢字 ✓".encode())


# -- what each codec sends for each glyphcast message ----------------------------------


@pytest.mark.parametrize("kind", CODECS)
def test_every_codec_is_a_codec_that_takes_deltas_and_resizes_as_events(kind: type) -> None:
    codec = make(kind)
    assert isinstance(codec, Codec)
    assert codec.deltas and getattr(
        codec, "resize_deltas", False
    )  # an optional member, read as the hub reads it


def test_alis_hello_is_the_magic_string_and_the_keyframe_an_init_at_stream_time() -> None:
    codec = make(AlisCodec)
    assert (
        codec.encode(protocol.hello(server="s", codec="v1.alis", width=30, height=4, role="viewer"))
        == alis.MAGIC
    )
    first = frame(7, ts=ORIGIN + 2_500.25)
    decoder = AlisDecoder()
    decoder.decode(alis.MAGIC)
    event = decoder.decode(codec.encode_frame(first))
    assert isinstance(event, Init)
    assert (event.last_id, event.time_us, event.cols, event.rows, event.theme) == (7, 2_500_250, 30, 4, None)
    player = Player()
    player.alis(event)
    assert player.text() == text(first)


@pytest.mark.parametrize("kind", CODECS)
def test_messages_a_format_has_no_place_for_are_not_sent(kind: type) -> None:
    codec = make(kind)
    for message in (
        protocol.pong(1.0, 2.0),
        protocol.state({"a": 1}),
        protocol.error("bad_field", "x"),
        protocol.presence(1, 0),
    ):
        assert codec.encode(message) is None


@pytest.mark.parametrize("kind", CODECS)
def test_the_codecs_refuse_every_client_binary_message(kind: type) -> None:
    with pytest.raises(CodecError, match="carries no client messages"):
        make(kind).decode(b"\x81\xa4type\xa4ping")


def test_end_is_eot_for_alis_and_nothing_for_asciicast_whose_players_end_on_the_close() -> None:
    assert make(AlisCodec).encode(protocol.end(5, "replay finished")) == b"\x04\x00"
    assert make(AsciicastV2Codec).encode(protocol.end(5, "x")) is None
    assert make(AsciicastV3Codec).encode(protocol.end(5, "x")) is None


def test_asciicast_headers_carry_the_size_and_the_start() -> None:
    hello = protocol.hello(
        server="s", codec="v2.asciicast", width=80, height=24, role="viewer", stream="main"
    )
    v2 = json.loads(str(make(AsciicastV2Codec).encode(hello)))
    v3 = json.loads(str(make(AsciicastV3Codec).encode(hello)))
    assert v2 == {"version": 2, "width": 80, "height": 24, "timestamp": int(ORIGIN // 1000)}
    assert v3 == {"version": 3, "term": {"cols": 80, "rows": 24}, "timestamp": int(ORIGIN // 1000)}


# -- times: relative to the stream start, the same bytes for every session ---------------


def test_alis_output_is_timed_from_exactly_the_frame_the_session_has() -> None:
    codec = make(AlisCodec)
    base, newest = frame(1, ts=ORIGIN + 100.0), frame(9, ROWS[:3] + ["changed"], ts=ORIGIN + 433.25)
    event = AlisDecoder()._event(0x6F, codec.encode_delta(newest, base))
    assert isinstance(event, Output)
    assert (event.id, event.rel_us) == (9, 333_250)


def test_a_chain_of_alis_updates_adds_up_to_the_stream_time_without_drift() -> None:
    codec = make(AlisCodec)
    frames = [frame(n, [f"row {n}", "", "", ""], ts=ORIGIN + n * 33.3333) for n in range(1, 200)]
    viewer = Viewer(codec)
    viewer.join(frames[0])
    for base, newest in zip(frames, frames[1:], strict=False):
        viewer.feed(codec.encode_delta(newest, base))
    assert viewer.player.time_us == codec.timeline.since_start(frames[-1].ts) == round(199 * 33.3333 * 1000)


def test_v2_times_are_since_the_start_and_v3_intervals_sum_to_it() -> None:
    v2, v3 = make(AsciicastV2Codec), make(AsciicastV3Codec)
    frames = [frame(n, [f"row {n}", "", "", ""], ts=ORIGIN + 1000 + n * 50.0) for n in range(1, 30)]
    viewers = [Viewer(v2), Viewer(v3)]
    for viewer in viewers:
        viewer.join(frames[0])
        for base, newest in zip(frames[::3], frames[3::3], strict=False):  # a session that skips frames
            viewer.feed(viewer.codec.encode_delta(newest, base))
    expected = (frames[27].ts - ORIGIN) / 1000
    assert viewers[0].player.time_s == pytest.approx(expected, abs=1e-6)
    assert viewers[1].player.time_s == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("kind", CODECS)
def test_encoding_depends_only_on_the_arguments(kind: type) -> None:
    one, other = make(kind), make(kind)
    frames = [frame(n, [f"r{n}", "x" * n, "", ""]) for n in range(1, 6)]
    assert one.encode_frame(frames[3]) == other.encode_frame(frames[3])
    other.encode_delta(frames[1], frames[0])  # what else was encoded before does not matter
    assert one.encode_delta(frames[4], frames[2]) == other.encode_delta(frames[4], frames[2])


# -- what the player shows ---------------------------------------------------------------


@pytest.mark.parametrize("kind", CODECS)
def test_a_joiner_sees_the_frame_and_every_update_after_it(kind: type) -> None:
    codec = make(kind)
    frames = [
        frame(1),
        frame(2, [ROWS[0], "second row", ROWS[2], "last"]),
        frame(3, ["", "second row", "\x1b[4munder\x1b[0m lined", "the end"]),
        frame(4, ["short", "", "", ""]),
    ]
    viewer = Viewer(codec)
    viewer.join(frames[0])
    assert viewer.player.text() == text(frames[0])
    for base, newest in zip(frames, frames[1:], strict=False):
        viewer.feed(codec.encode_delta(newest, base))
        assert viewer.player.text() == text(newest)


def test_an_update_repaints_exactly_the_rows_that_differ() -> None:
    codec = make(AlisCodec)
    base = frame(1)
    newest = frame(2, [ROWS[0], "", "new third", ROWS[3]])
    event = AlisDecoder()._event(0x6F, codec.encode_delta(newest, base))
    assert isinstance(event, Output)
    assert "new third" in event.data and "glyphcast" not in event.data and "last" not in event.data
    assert event.data.count("\x1b[3;1H") == 1 and "\x1b[1;1H" not in event.data


@pytest.mark.parametrize("kind", CODECS)
def test_a_resize_is_a_resize_event_then_a_repaint(kind: type) -> None:
    codec = make(kind)
    small = frame(1, ["a", "b"], width=10)
    big = frame(2, ["wider now", "and", "taller"], width=20)
    viewer = Viewer(codec)
    viewer.join(small)
    before = len(viewer.events)
    viewer.feed(codec.encode_delta(big, small))
    new = viewer.events[before:]
    if kind is AlisCodec:
        assert isinstance(new[0], Resize) and (new[0].cols, new[0].rows) == (20, 3)
        assert isinstance(new[1], Output) and new[1].rel_us == 0
    else:
        assert (new[0].code, new[0].data) == ("r", "20x3")
        assert new[1].code == "o"
    assert viewer.player.screen is not None and viewer.player.screen.size == (20, 3)
    assert viewer.player.text() == text(big)
    assert viewer.player.resets == 1  # no new Init or header: the session goes on


@pytest.mark.parametrize("kind", CODECS)
def test_a_clear_then_a_keyframe_shows_the_new_frame(kind: type) -> None:
    codec = make(kind)
    viewer = Viewer(codec)
    viewer.join(frame(1))
    viewer.feed(codec.encode(protocol.clear(1)))
    if kind is not AsciicastV2Codec:  # v2 has no time for a clear: the keyframe after it clears
        assert viewer.player.text() == [""] * 4
    after = frame(3, ["after", "the", "clear", ""])
    viewer.feed(codec.encode_frame(after))
    assert viewer.player.text() == text(after)


def test_the_cursor_is_shown_where_the_frame_has_it_and_hidden_otherwise() -> None:
    codec = make(AlisCodec)
    viewer = Viewer(codec)
    viewer.join(frame(1, cursor=(4, 2)))
    assert viewer.player.screen is not None and viewer.player.screen.cursor == (4, 2)
    viewer.feed(codec.encode_delta(frame(2), frame(1, cursor=(4, 2))))
    assert viewer.player.screen.cursor is None


def test_wide_characters_and_rows_that_fill_the_line_land_where_the_frame_has_them() -> None:
    codec = make(AlisCodec)
    rows = ["漢字 wide ✓", "x" * 30, "\x1b[44m" + "y" * 29 + "\x1b[0mZ", "end"]
    viewer = Viewer(codec)
    viewer.join(frame(1, rows))
    assert viewer.player.text() == text(frame(1, rows))


def test_the_independent_decoder_refuses_a_stream_that_breaks_the_rules() -> None:
    with pytest.raises(ProtocolViolation, match="magic"):
        AlisDecoder().decode(b"ALiS\x02")
    decoder = AlisDecoder()
    decoder.decode(alis.MAGIC)
    with pytest.raises(ProtocolViolation, match="expected Init"):
        decoder.decode(alis.output(1, 0, "x"))
    decoder.decode(alis.init(1, 0, 2, 2, ""))
    assert decoder.decode(alis.eot()) == Eot(0)
    with pytest.raises(ProtocolViolation, match="expected Init"):  # after EOT the stream restarts with Init
        decoder.decode(alis.output(1, 0, "x"))


# -- the property: any session, skipping any frames, shows the newest frame -----------------

row_text = st.text(alphabet=st.sampled_from("ab xyz09✓漢"), max_size=12)
styled = st.one_of(row_text, row_text.map(lambda s: f"\x1b[1;3{len(s) % 8}m{s}\x1b[0m"))
shapes = st.sampled_from([(12, 3), (12, 3), (12, 3), (16, 4), (8, 2)])


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(CODECS),
    script=st.lists(
        st.tuples(
            shapes,
            st.lists(styled, min_size=4, max_size=4),
            st.booleans(),
            st.one_of(st.none(), st.tuples(st.integers(0, 15), st.integers(0, 3))),
        ),
        min_size=2,
        max_size=25,
    ),
)
def test_a_session_that_skips_frames_always_shows_the_newest_it_got(kind: type, script: list[Any]) -> None:
    codec = make(kind)
    frames = []
    for seq, ((width, height), rows, _, cursor) in enumerate(script, start=1):
        frames.append(frame(seq, rows[:height], width=width, cursor=cursor))
    viewer = Viewer(codec)
    viewer.join(frames[0])
    shown = frames[0]
    for f, (_, _, received, _) in zip(frames[1:], script[1:], strict=False):
        if not received:  # latest-wins: this session was busy, the next update starts from what it has
            continue
        viewer.feed(codec.encode_delta(f, shown))
        shown = f
        screen = viewer.player.screen
        assert screen is not None and screen.size == (f.width, f.height)
        expected = [strip_ansi(glyphcast.text.fit(row, f.width)).rstrip() for row in f.rows]
        assert viewer.player.text() == expected
        if f.cursor is None:
            assert screen.cursor is None
        else:
            assert screen.cursor == (min(f.cursor[0], f.width - 1), min(f.cursor[1], f.height - 1))
