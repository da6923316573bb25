"""NAME:key=value selections and their conversion: a bad option is a one-line error listing valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from glyphcast import OptionError
from glyphcast.options import bind_options, convert, parse_spec


def factory(
    path: Path | None = None,
    port: int = 8765,
    ratio: float = 1.0,
    force: bool = False,
    origins: tuple[str, ...] = (),
    title: str = "",
) -> None:
    """A display factory with one option of each kind."""


def test_parse_spec_splits_name_and_options() -> None:
    assert parse_spec("record") == ("record", {})
    assert parse_spec("record:path=a.cast,title=demo") == ("record", {"path": "a.cast", "title": "demo"})


def test_parse_spec_keeps_commas_inside_a_value() -> None:
    assert parse_spec("websocket:allow_origin=http://a,http://b,port=1") == (
        "websocket",
        {"allow_origin": "http://a,http://b", "port": "1"},
    )


@pytest.mark.parametrize("spec", [":x=1", "record:nokey", ""])
def test_parse_spec_rejects_malformed_selections(spec: str) -> None:
    with pytest.raises(OptionError):
        parse_spec(spec)


def test_values_are_converted_to_the_factorys_types() -> None:
    bound = bind_options(
        factory,
        {"path": "out.cast", "port": "9000", "ratio": "0.5", "force": "yes", "origins": "a, b", "title": "t"},
        what="display 'x'",
    )
    assert bound == {
        "path": Path("out.cast"),
        "port": 9000,
        "ratio": 0.5,
        "force": True,
        "origins": ("a", "b"),
        "title": "t",
    }


def test_non_string_values_pass_through() -> None:
    assert bind_options(factory, {"port": 1}, what="x") == {"port": 1}


def test_an_unknown_option_names_the_valid_ones() -> None:
    with pytest.raises(OptionError) as caught:
        bind_options(factory, {"prot": "1"}, what="display 'websocket'")
    message = str(caught.value)
    assert "display 'websocket' has no option 'prot'" in message
    assert "valid options: path, port, ratio, force, origins, title" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", "http", "not a valid int"),
        ("ratio", "fast", "not a valid float"),
        ("force", "maybe", "true or false"),
    ],
)
def test_a_bad_value_says_which_option_and_what_is_expected(key: str, value: str, expected: str) -> None:
    with pytest.raises(OptionError) as caught:
        bind_options(factory, {key: value}, what="display 'x'")
    assert str(caught.value).startswith(f"display 'x': option {key}={value!r}")
    assert expected in str(caught.value)


def test_convert_reads_booleans_loosely() -> None:
    assert [convert(v, bool, "k") for v in ("1", "on", "TRUE", "0", "off", "No")] == [True] * 3 + [False] * 3


class ClassFactory:
    """Displays are often registered as their class: its options are __init__'s parameters."""

    label: str  # a class attribute annotation, not an option

    def __init__(self, path: Path | None = None, level: int | None = None) -> None:
        self.path = path


def test_a_class_factorys_options_are_converted_by_its_init_annotations() -> None:
    assert bind_options(ClassFactory, {"path": "a.txt", "level": "3"}, what="x") == {
        "path": Path("a.txt"),
        "level": 3,
    }
