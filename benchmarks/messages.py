"""What checking one client message costs the hub: ``messages.check`` and ``decode`` + ``check``, in µs.

    python -m benchmarks.messages            # best of 7 rounds of 20,000 calls per message

Typical messages of the viewer and of a controller; the number is the best
round's mean (the least disturbed by the rest of the machine).
"""

from __future__ import annotations

import argparse
import json
import timeit
from typing import Any

from glyphcast_websocket import messages

#: (name, message, role): what a viewer and a controller send most.
TYPICAL: list[tuple[str, dict[str, Any], str]] = [
    ("ping", {"type": "ping", "ts": 1733400000123.5}, "viewer"),
    (
        "hello",
        {"type": "hello", "client": "glyphcast-viewer/0.1.0", "viewport": {"width": 1280, "height": 720}},
        "viewer",
    ),
    ("resync", {"type": "resync"}, "viewer"),
    ("input", {"type": "input", "data": "l"}, "controller"),
    ("resize", {"type": "resize", "width": 120, "height": 40}, "controller"),
    ("command", {"type": "command", "command": {"action": "preset", "name": "storm"}}, "controller"),
]


def measure(rounds: int, number: int) -> list[tuple[str, float, float]]:
    """(name, µs per check, µs per decode + check) for each typical message."""
    from glyphcast_json import JsonCodec

    codec = JsonCodec()
    rows = []
    for name, message, role in TYPICAL:
        text = json.dumps(message)

        def checked(message: dict[str, Any] = message, role: str = role) -> None:
            messages.check(message, role)

        def decoded(text: str = text, role: str = role) -> None:
            messages.check(messages.decode(text, codec), role)

        check = min(timeit.repeat(checked, number=number, repeat=rounds))
        both = min(timeit.repeat(decoded, number=number, repeat=rounds))
        rows.append((name, check / number * 1e6, both / number * 1e6))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.messages", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args(argv)
    print("| message | check µs | decode + check µs |\n|---|---|---|")
    for name, check, both in measure(args.rounds, args.number):
        print(f"| {name} | {check:.2f} | {both:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
