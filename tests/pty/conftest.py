"""Fixtures for the pty tests: sources watched on a thread and terminals, each stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from glyphcast.plugins import reset_registry
from glyphcast_pty import PtySource
from pty_helpers import Terminal, Watch, glyphcast_argv, program_env


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    reset_registry()
    yield
    reset_registry()


@pytest.fixture
def watch() -> Iterator[Callable[..., Watch]]:
    """``watch(command, width=80, height=24, **options)``: a PtySource running, watched on a thread."""
    started: list[Watch] = []

    def start(command: str | list[str], width: int = 80, height: int = 24, **options: Any) -> Watch:
        options.setdefault("env", program_env())
        watched = Watch(PtySource(width, height, command, **options))
        started.append(watched)
        return watched

    yield start
    for watched in started:
        watched.source.close()


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    """``terminal(*glyphcast_args, width=80, height=24)``: ``glyphcast ARGS`` on a real terminal."""
    opened: list[Terminal] = []

    def start(*args: str, width: int = 80, height: int = 24, argv: list[str] | None = None) -> Terminal:
        term = Terminal(argv or glyphcast_argv(*args), width, height)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()
