"""The sans-I/O asciicast module: encoding frames to v2 events and parsing v1/v2/v3, without files."""

from __future__ import annotations

import json
from typing import Any

import pyte
import pytest
from glyphcast import Frame, OptionError
from glyphcast.paint import CLEAR_SCREEN
from glyphcast_record.asciicast import (
    AsciicastError,
    CastEncoder,
    event_line,
    header_line,
    parse,
)

from .conftest import first_difference, frame_cells, screen_cells


def frame(rows: list[str], seq: int, ts_ms: float, width: int = 10, height: int = 3) -> Frame:
    return Frame.from_buffer(rows, width, height, seq, ts_ms)


def events(text: str) -> list[list[Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_header_has_the_fields_asciinema_needs_and_the_optional_ones_only_when_given() -> None:
    plain = json.loads(header_line(80, 24, 1700000000))
    assert plain == {
        "version": 2,
        "width": 80,
        "height": 24,
        "timestamp": 1700000000,
        "env": {"TERM": "xterm-256color"},
    }
    full = json.loads(header_line(80, 24, 1700000000, title="demo", idle_time_limit=1.5))
    assert full["title"] == "demo" and full["idle_time_limit"] == 1.5
    assert header_line(1, 1, 0).endswith("}\n")


def test_event_line_is_one_json_array_per_line_with_microsecond_times() -> None:
    line = event_line(1.23456789, "o", "żółć\x1b[0m\n")
    assert line.endswith("]\n") and line.count("\n") == 1
    assert json.loads(line) == [1.234568, "o", "żółć\x1b[0m\n"]


def test_first_frame_homes_clears_and_writes_every_non_blank_row() -> None:
    encoder = CastEncoder(10, 3, start=100.0)
    [(time, code, data)] = events(encoder.frame(frame(["ab", "", "c"], 1, 100_500.0)))
    assert (time, code) == (0.5, "o")
    assert data.startswith(CLEAR_SCREEN)
    assert data == CLEAR_SCREEN + "\x1b[1;1Hab\x1b[0m\x1b[K" + "\x1b[3;1Hc\x1b[0m\x1b[K"


def test_later_frames_write_only_the_changed_rows() -> None:
    encoder = CastEncoder(10, 3, start=0.0)
    encoder.frame(frame(["a", "b", "c"], 1, 0.0))
    [(_, _, data)] = events(encoder.frame(frame(["a", "B", "c"], 2, 40.0)))
    assert data == "\x1b[2;1HB\x1b[0m\x1b[K"


def test_an_unchanged_frame_still_gets_its_event_so_every_frame_is_in_the_file() -> None:
    encoder = CastEncoder(10, 3, start=0.0)
    encoder.frame(frame(["a"], 1, 0.0))
    assert events(encoder.frame(frame(["a"], 2, 40.0))) == [[0.04, "o", ""]]


def test_resize_becomes_an_r_event_then_a_full_redraw() -> None:
    encoder = CastEncoder(10, 3, start=0.0)
    encoder.frame(frame(["a", "b", "c"], 1, 0.0))
    out = events(encoder.frame(frame(["a", "b"], 2, 1000.0, width=12, height=2)))
    assert out[0] == [1.0, "r", "12x2"]
    assert out[1][1] == "o" and out[1][2].startswith(CLEAR_SCREEN)
    assert encoder.resize(12, 2, 2.0) == "", "the same size again is not a resize"


def test_clear_is_a_clear_screen_event_and_the_next_frame_is_drawn_in_full() -> None:
    encoder = CastEncoder(10, 3, start=0.0)
    encoder.frame(frame(["a", "b", "c"], 1, 0.0))
    assert events(encoder.clear(0.5)) == [[0.5, "o", CLEAR_SCREEN]]
    [(_, _, data)] = events(encoder.frame(frame(["a", "b", "c"], 2, 600.0)))
    assert data.startswith(CLEAR_SCREEN) and "\x1b[3;1Hc" in data


def test_markers_are_m_events() -> None:
    encoder = CastEncoder(10, 3, start=10.0)
    assert events(encoder.marker("chapter 2", 12.25)) == [[2.25, "m", "chapter 2"]]


def test_event_times_never_go_backwards_even_if_the_wall_clock_does() -> None:
    encoder = CastEncoder(10, 3, start=100.0)
    encoder.frame(frame(["a"], 1, 105_000.0))
    [(time, _, _)] = events(encoder.frame(frame(["b"], 2, 101_000.0)))
    assert time == 5.0
    assert events(encoder.marker("early", 50.0))[0][0] == 5.0


def test_appending_continues_the_timeline_from_the_offset() -> None:
    encoder = CastEncoder(10, 3, start=1000.0, offset=7.5)
    assert events(encoder.frame(frame(["a"], 1, 1_000_500.0)))[0][0] == 8.0


def test_the_encoded_stream_draws_each_frame_exactly_on_a_terminal() -> None:
    """Feeding the events to a terminal gives, after each frame, that frame's cells."""
    shown = [
        ["\x1b[1;31mred bold\x1b[0m", "plain", "\x1b[48;2;1;2;3mbg\x1b[0m"],
        ["\x1b[1;31mred bold\x1b[0m", "\x1b[7mrev\x1b[0m", "\x1b[48;2;1;2;3mbg\x1b[0m"],
        ["漢字 wide", "", "\x1b[4;38;5;208munder 256"],
        ["0123456789", "abcdefghij", "x"],
    ]
    encoder = CastEncoder(10, 3, start=0.0)
    screen = pyte.Screen(10, 3)
    stream = pyte.Stream(screen)
    for seq, rows in enumerate(shown, 1):
        for _, code, data in events(encoder.frame(frame(rows, seq, seq * 100.0))):
            assert code == "o"
            stream.feed(str(data))
        expected = frame_cells(rows, 10, 3)
        got = screen_cells(screen)
        assert got == expected, f"frame {seq}: {first_difference(got, expected)}"


# -- the cursor ------------------------------------------------------------------


def test_a_frame_with_a_cursor_ends_its_event_with_the_cursor_put_back_and_shown() -> None:
    encoder = CastEncoder(10, 3, start=0.0)
    [(_, _, data)] = events(encoder.frame(Frame.from_buffer(["$ abc", "x"], 10, 3, 1, 0.0, cursor=(4, 0))))
    assert data.endswith("\x1b[2;1Hx\x1b[0m\x1b[K" + "\x1b[1;5H\x1b[?25h")


def test_once_a_stream_has_had_a_cursor_a_frame_without_one_hides_it_and_every_event_says_where_it_is() -> (
    None
):
    encoder = CastEncoder(10, 3, start=0.0)
    encoder.frame(Frame.from_buffer(["a"], 10, 3, 1, 0.0, cursor=(1, 0)))
    [(_, _, hidden)] = events(encoder.frame(Frame.from_buffer(["ab"], 10, 3, 2, 10.0)))
    assert hidden == "\x1b[1;1Hab\x1b[0m\x1b[K\x1b[?25l"
    # Nothing changed but the cursor: the event only moves it.
    [(_, _, moved)] = events(encoder.frame(Frame.from_buffer(["ab"], 10, 3, 3, 20.0, cursor=(0, 2))))
    assert moved == "\x1b[3;1H\x1b[?25h"


def test_a_stream_without_cursors_is_written_as_it_is_drawn() -> None:
    """An engine's frames have no cursor: their events are the rows alone, as before cursors were written."""
    encoder = CastEncoder(10, 3, start=0.0)
    [(_, _, first)] = events(encoder.frame(frame(["ab"], 1, 0.0)))
    [(_, _, second)] = events(encoder.frame(frame(["abc"], 2, 10.0)))
    assert (first, second) == (CLEAR_SCREEN + "\x1b[1;1Hab\x1b[0m\x1b[K", "\x1b[1;1Habc\x1b[0m\x1b[K")


def test_on_a_terminal_the_cursor_ends_where_each_frame_has_it() -> None:
    shown = [
        (["$ vim"], (5, 0)),
        (["~", "~"], None),
        (["hello", "~"], (4, 0)),
        (["hello", "~", ":wq"], (3, 2)),
    ]
    encoder = CastEncoder(10, 3, start=0.0)
    screen = pyte.Screen(10, 3)
    stream = pyte.Stream(screen)
    for seq, (rows, cursor) in enumerate(shown, 1):
        for _, _, data in events(
            encoder.frame(Frame.from_buffer(rows, 10, 3, seq, seq * 100.0, cursor=cursor))
        ):
            stream.feed(str(data))
        if cursor is None:
            assert screen.cursor.hidden, f"frame {seq}"
        else:
            assert (screen.cursor.x, screen.cursor.y, screen.cursor.hidden) == (*cursor, False), (
                f"frame {seq}"
            )


# -- v3 ----------------------------------------------------------------------------


def test_the_v3_header_has_the_terminal_in_term_and_the_optional_fields_only_when_given() -> None:
    plain = json.loads(header_line(80, 24, 1700000000, version=3))
    assert plain == {
        "version": 3,
        "term": {"cols": 80, "rows": 24, "type": "xterm-256color"},
        "timestamp": 1700000000,
    }
    full = json.loads(header_line(80, 24, 1700000000, title="demo", idle_time_limit=1.5, version=3))
    assert full["title"] == "demo" and full["idle_time_limit"] == 1.5
    with pytest.raises(ValueError, match="v4 is not written"):
        header_line(80, 24, 0, version=4)


def test_v3_events_carry_the_interval_since_the_previous_event() -> None:
    encoder = CastEncoder(10, 3, start=100.0, version=3)
    out = events(encoder.frame(frame(["a"], 1, 100_500.0)))
    out += events(encoder.marker("chapter", 101.25))
    out += events(encoder.frame(frame(["a", "b"], 2, 101_000.0)))  # the wall clock stepped back: interval 0
    out += events(encoder.frame(frame(["a", "b"], 3, 103_000.0, width=12)))
    assert [(t, code) for t, code, _ in out] == [(0.5, "o"), (0.75, "m"), (0.0, "o"), (1.75, "r"), (0.0, "o")]


def test_v3_intervals_add_up_to_the_v2_times_without_drifting() -> None:
    stamps = [i * 33.3333 + (i % 7) * 0.0004 for i in range(3000)]
    v2, v3 = CastEncoder(10, 3, start=0.0), CastEncoder(10, 3, start=0.0, version=3)
    absolute = [events(v2.frame(frame([str(i)], i, ms)))[0][0] for i, ms in enumerate(stamps)]
    header = header_line(10, 3, 0, version=3)
    text = header + "".join(v3.frame(frame([str(i)], i, ms)) for i, ms in enumerate(stamps))
    summed = [e.time for e in parse(text).events]
    assert max(abs(a - b) for a, b in zip(absolute, summed, strict=True)) < 1e-6


def test_appending_to_v3_continues_from_the_last_event() -> None:
    encoder = CastEncoder(10, 3, start=1000.0, offset=7.5, version=3)
    assert events(encoder.frame(frame(["a"], 1, 1_000_500.0)))[0][0] == 0.5


# -- parsing --------------------------------------------------------------------


def test_parses_v2_with_absolute_times_and_skips_unknown_codes() -> None:
    text = '{"version": 2, "width": 8, "height": 2, "idle_time_limit": 2}\n[0.5, "o", "a"]\n[1, "i", "x"]\n[2.0, "m", "mark"]\n[3.25, "x", "0"]\n'
    recording = parse(text, "t.cast")
    assert (recording.header.version, recording.header.width, recording.header.height) == (2, 8, 2)
    assert recording.header.idle_time_limit == 2.0
    assert [(e.time, e.code, e.data) for e in recording.events] == [(0.5, "o", "a"), (2.0, "m", "mark")]
    assert recording.skipped == {"i": 1, "x": 1}
    assert recording.duration == 3.25
    assert recording.torn_line is None


def test_parses_v3_intervals_into_absolute_times_and_skips_comments() -> None:
    text = '{"version": 3, "term": {"cols": 5, "rows": 4}}\n# a comment\n[0.5, "o", "a"]\n[0.25, "r", "6x3"]\n[1, "o", "b"]\n'
    recording = parse(text, "t.cast")
    assert [(e.time, e.code) for e in recording.events] == [(0.5, "o"), (0.75, "r"), (1.75, "o")]
    assert recording.size == (6, 3)


def test_parses_v1_as_one_json_object_with_a_stdout_list() -> None:
    text = json.dumps(
        {"version": 1, "width": 4, "height": 2, "duration": 1.5, "stdout": [[0.5, "hi"], [1.0, "!"]]},
        indent=2,
    )
    recording = parse(text, "old.json")
    assert recording.header.version == 1
    assert [(e.time, e.code, e.data) for e in recording.events] == [(0.5, "o", "hi"), (1.5, "o", "!")]


def test_a_torn_last_line_is_skipped_and_reported() -> None:
    text = '{"version": 2, "width": 8, "height": 2}\n[0.5, "o", "a"]\n[0.7, "o", "unfini'
    recording = parse(text, "t.cast")
    assert [e.data for e in recording.events] == ["a"]
    assert recording.torn_line == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "t.cast: the file is empty"),
        ("  \n\n", "t.cast: the file is empty"),
        ("hello\n", "t.cast:1: the header is not valid JSON"),
        ('{"version": 9, "width": 1, "height": 1}\n', "t.cast:1: unsupported asciicast version 9"),
        ('{"version": 2, "width": 0, "height": 1}\n', "t.cast:1: the header's terminal size"),
        ('{"version": 3, "width": 8, "height": 2}\n', 't.cast:1: a version 3 header needs "term"'),
        (
            '{"version": 2, "width": 8, "height": 2}\n[0.5, "o", "a"]\nnot json\n[1, "o", "b"]\n',
            "t.cast:3: unreadable event",
        ),
        (
            '{"version": 2, "width": 8, "height": 2}\n[0.5, "o"]\n[1, "o", "b"]\n',
            "t.cast:2: unreadable event",
        ),
        (
            '{"version": 2, "width": 8, "height": 2}\n[-1, "o", "a"]\n[1, "o", "b"]\n',
            "t.cast:2: unreadable event",
        ),
        ('{"version": 2, "width": 8, "height": 2}\n[1, "r", "wide"]\n', "t.cast:2: bad resize event"),
        (
            '\n{"version": 2, "width": 8, "height": 2}\n[1, "o", 5]\n[2, "o", "b"]\n',
            "t.cast:3: unreadable event",
        ),
        ('{"version": 1, "width": 8, "height": 2, "stdout": [[0.1, 3]]}', "t.cast: stdout[0]"),
    ],
)
def test_malformed_recordings_raise_one_line_errors_naming_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(AsciicastError) as caught:
        parse(text, "t.cast")
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    assert isinstance(caught.value, OptionError), "the CLI maps OptionError to exit 2"


def test_record_errors_sit_under_glyphcast_error_as_option_errors() -> None:
    from glyphcast import GlyphcastError
    from glyphcast_record import RecordingError

    for error in (AsciicastError, RecordingError):
        assert issubclass(error, OptionError) and issubclass(error, GlyphcastError), error
