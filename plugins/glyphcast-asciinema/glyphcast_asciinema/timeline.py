"""Event times, in the integer microseconds asciinema's formats count in (sans-I/O).

Every time a codec writes comes from frames' ``ts`` (the wall clock in ms when
the engine showed them) and one :class:`Timeline` origin per codec, never from
a session: a joiner's header says "this far into the stream", and an update
from frame ``base`` to frame ``seq`` says "this long after ``base``", so every
session at the same (base, seq) gets the same bytes and the hub encodes once.

Times are rounded to whole microseconds before they are subtracted, so a chain
of intervals adds up to exactly the difference of its ends (no drift), and
never go negative (the wall clock may step back).
"""

from __future__ import annotations

from glyphcast.frame import now_ms


def micros(ms: float) -> int:
    """Milliseconds (``Frame.ts``) as whole microseconds."""
    return round(ms * 1000)


class Timeline:
    """Where a codec's time 0 is: ``origin_ms`` on the wall clock (default: when it was made).

    A codec is made once per process, when glyphcast loads its plugins, so its
    time 0 is the start of the server: for ``glyphcast run``, the stream's start.
    """

    __slots__ = ("origin_ms", "_origin")

    def __init__(self, origin_ms: float | None = None) -> None:
        self.origin_ms = now_ms() if origin_ms is None else origin_ms
        self._origin = micros(self.origin_ms)

    def since_start(self, ts: float) -> int:
        """Microseconds from time 0 to ``ts`` (0 for anything earlier)."""
        return max(0, micros(ts) - self._origin)

    @staticmethod
    def between(earlier: float, later: float) -> int:
        """Microseconds from ``earlier`` to ``later`` (0 if the clock went back)."""
        return max(0, micros(later) - micros(earlier))

    @staticmethod
    def seconds(us: int) -> float:
        """Microseconds as the seconds an asciicast line carries (exact to the microsecond)."""
        return us / 1_000_000

    def __repr__(self) -> str:
        return f"Timeline(origin_ms={self.origin_ms!r})"
