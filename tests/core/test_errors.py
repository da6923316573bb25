"""One exception base: every error glyphcast raises on purpose is a GlyphcastError, under its old names too."""

from __future__ import annotations

import pytest
from glyphcast import (
    CodecError,
    DisplayError,
    GlyphcastError,
    OptionError,
    UnknownNameError,
    errors,
    open_display,
)
from glyphcast.displays import MemoryDisplay


@pytest.mark.parametrize(
    ("error", "also"),
    [(DisplayError, RuntimeError), (OptionError, ValueError), (UnknownNameError, OptionError)],
)
def test_every_glyphcast_error_is_a_glyphcast_error_and_keeps_its_old_base(
    error: type[Exception], also: type[Exception]
) -> None:
    assert issubclass(error, GlyphcastError)
    assert issubclass(error, also), "code that caught the old base must still catch it"


def test_the_old_import_paths_give_the_same_classes() -> None:
    from glyphcast.display import DisplayError as display_error
    from glyphcast.options import OptionError as option_error
    from glyphcast.plugins import UnknownNameError as unknown_name_error

    assert display_error is errors.DisplayError is DisplayError
    assert option_error is errors.OptionError is OptionError
    assert unknown_name_error is errors.UnknownNameError is UnknownNameError


def test_glyphcast_exports_the_codec_error_that_codecs_raise() -> None:
    from glyphcast import codec

    assert CodecError is codec.CodecError


def test_a_codec_error_is_a_glyphcast_error() -> None:
    assert issubclass(CodecError, GlyphcastError) and issubclass(CodecError, ValueError)
    assert CodecError is errors.CodecError


def test_an_engine_catches_a_wrong_display_name_and_a_failed_display_with_one_except() -> None:
    with pytest.raises(GlyphcastError, match="unknown display 'no-such-display'"):
        open_display("no-such-display")

    display = MemoryDisplay()
    display.fail(OSError("the worker died"))
    with pytest.raises(GlyphcastError, match="the worker died"):
        display.show(["x"])
