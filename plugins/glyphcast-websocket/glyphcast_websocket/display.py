"""HubDisplay: a display that streams frames to WebSocket clients through a shared hub.

Displays with the same host and port share one hub and one server. The
legacy ``WebSocketDisplay`` (:mod:`.legacy`) builds on this class, and
:func:`~glyphcast_websocket.plugin.display_factory` makes the registered
``websocket-*`` displays.
"""

from __future__ import annotations

import logging
import sys
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from glyphcast import ClientInfo, Codec, DisplayError, FrameDisplay, get_registry
from glyphcast.codec import one_way
from glyphcast.display import ControllableDisplay, ServingDisplay
from glyphcast.frame import Frame
from glyphcast.logs import escape
from glyphcast.protocol import ProducerState

from glyphcast_websocket import registry
from glyphcast_websocket.hosts import address_users_open
from glyphcast_websocket.hub import Hub
from glyphcast_websocket.named_stream import MAIN, NamedStream, check_name
from glyphcast_websocket.options import DEFAULT_HOST, DEFAULT_PORT, spell_out_settings
from glyphcast_websocket.settings import Settings

log = logging.getLogger("glyphcast.websocket")

# The streams whose addresses were announced: displays sharing a stream announce it once.
_announced: weakref.WeakSet[NamedStream] = weakref.WeakSet()


def announce(lines: Iterable[str]) -> None:
    """Tell the user where the viewer is: INFO on ``glyphcast.websocket``, or stderr when logging is unset.

    A script that never configures logging still sees the addresses (Python's
    last-resort handler would show only warnings); an application that does
    configure it decides, by level and handlers, where they go. The CLI
    configures logging at WARNING and prints the addresses itself, so they are
    not shown twice. Printed lines are escaped as the CLI's log lines are
    (:mod:`glyphcast.logs`): a ``public_url`` or a stream name cannot draw on the terminal.
    """
    if log.hasHandlers():
        for line in lines:
            log.info("%s", line)
    else:
        for line in lines:
            print(
                f"glyphcast: websocket: {escape(line)}", file=sys.stderr, flush=True
            )  # stderr may be a terminal


def _installed_codecs(wanted: Iterable[str] | None) -> list[Codec]:
    installed = get_registry().codecs
    if wanted is None:
        if not installed:
            raise DisplayError(
                "no WebSocket codec is installed: pip install glyphcast-json (or glyphcast-binary, glyphcast-diff)"
            )
        return list(installed.values())
    chosen = []
    for subprotocol in wanted:
        codec = installed.get(subprotocol)
        if codec is None:
            raise DisplayError(
                f"codec {subprotocol} is not installed (installed: {', '.join(sorted(installed)) or 'none'})"
            )
        chosen.append(codec)
    return chosen


class HubDisplay(FrameDisplay, ServingDisplay, ControllableDisplay):
    """A display that streams frames to WebSocket clients through the hub on (host, port).

    ``show()``/``deliver()`` only schedule the frame on the hub's loop.
    ``stream`` names the stream: several streams share one port, stream NAME
    at ``/s/NAME/``, the default (``main``) at ``/``. ``port=0`` picks a free
    port: read ``port`` or :attr:`url` after ``init``. The other keyword
    arguments are the stream's settings, the options of the ``websocket``
    display (:data:`~glyphcast_websocket.options.OPTIONS`, docs/websocket-options.md);
    an unknown one is a TypeError, an unusable value a one-line DisplayError.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        codecs: Iterable[str] | None = None,
        name: str = "websocket",
        stream: str = MAIN,
        width: int = 80,
        height: int = 24,
        **options: Any,
    ) -> None:
        super().__init__(width, height)
        self.settings = Settings.of(options, caller=f"{type(self).__name__}()")
        self.host = host
        self.port = port
        self.name = name
        self.stream = check_name(stream or MAIN)
        self.settings.policy(host, port)  # refuse unusable values now, not when the server starts
        self.codecs = _installed_codecs(codecs)
        self.subprotocols = frozenset(c.subprotocol for c in self.codecs)
        self.hub: Hub | None = None
        #: This display's stream on the hub (its frames, clients and tokens); None until started.
        self.room: NamedStream | None = None
        self.connected_callback: Callable[..., Any] | None = None
        self.disconnected_callback: Callable[..., Any] | None = None
        self.command_callback: Callable[..., Any] | None = None
        self.resize_callback: Callable[..., Any] | None = None
        self._controller: Any = None
        self._frame_delay = 0.0

    # -- FrameDisplay -------------------------------------------------------
    def init(self, width: int, height: int, reuse: bool = False) -> None:
        """Start serving (again, after ``cleanup()``: legacy engines restart a display)."""
        with self._lifecycle:
            if self.closed:
                self.closed = self.started = False
        super().init(width, height, reuse)

    def start(self) -> None:
        hub, self.room = registry.acquire(self, self.host, self.port, self.stream, self.settings, self.codecs)
        self.hub = hub
        self.port = hub.port
        if self.room not in _announced:
            _announced.add(self.room)
            announce(self.addresses())

    def addresses(self) -> list[str]:
        """What ``announce()`` says at start: the viewer's URL, and the controller's when there is one."""
        lines = [f"serving {self.url}"]
        controller = self.controller_url
        if controller:
            lines.append(
                f"to control it, open {controller} "
                "(this link lets whoever has it type into the stream: share it only with them)"
            )
        return lines

    def stop(self) -> None:
        hub, self.hub = self.hub, None
        room, self.room = self.room, None
        if hub is not None and room is not None:
            registry.release(self, hub, room, self.codecs)

    def deliver(self, frame: Frame) -> None:
        room = self.room
        if room is not None:
            room.deliver(frame)

    def clear(self) -> None:
        """Blank every client's screen (a ``clear`` message); the next frame is a keyframe."""
        room = self.room
        if room is not None:
            room.clear()

    def end(self, reason: str) -> None:
        """The source ended: every client gets the final frame, ``end`` and a close with 1000 (no reconnect)."""
        room = self.room
        if room is not None:
            room.end(reason)

    def producer(self, state: ProducerState) -> None:
        """Whether the stream's producer is heard from (:class:`glyphcast.ProducerDisplay`): every client is
        sent ``producer`` {state} on a change, and a client that joins while it is not "live" is sent it too."""
        room = self.room
        if room is not None:
            room.producer(state)

    def is_available(self) -> bool:
        return True

    @property
    def url(self) -> str:
        """The viewer's address, e.g. ``http://127.0.0.1:8765/`` (the bound port once started).

        ``public_url`` when set (behind a reverse proxy); with a view token, it
        carries it in the fragment, which browsers never send to a server. With
        only one-way codecs (``websocket-alis``), the stream's ``player`` page:
        those formats are asciinema-player's, which glyphcast's viewer does not read.
        """
        base = f"{self.page_url.rstrip('/')}/player" if one_way(self.codecs) else self.page_url
        return f"{base}#token={self.settings.token}" if self.settings.token else base

    @property
    def page_url(self) -> str:
        """The stream's page without a token: the address users open
        (:func:`~glyphcast_websocket.hosts.address_users_open`: ``public_url`` behind a proxy), then
        ``s/NAME/`` for a named stream, and for the main stream too while the port carries others
        (``/`` then lists them)."""
        base = address_users_open(self.local_url, self.settings.allowed_hosts, self.settings.public_url)
        hub = self.hub
        if self.stream == MAIN and (hub is None or len(hub.rooms) < 2):
            return base
        return f"{base.rstrip('/')}/s/{self.stream}/"

    @property
    def local_url(self) -> str:
        """Where this server listens: ``http(s)://host:port/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.settings.certfile else "http"
        return f"{scheme}://{host}:{self.port}/"

    @property
    def controller_url(self) -> str | None:
        """The viewer's address with the control token in the fragment; None when nobody may control
        (no control token, or only one-way codecs, whose players send nothing).

        Whoever opens it can type into the stream: share it only with them.
        """
        token = self.settings.control_token
        return f"{self.page_url}#control={token}" if token and not one_way(self.codecs) else None

    @property
    def ws_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        path = "/ws" if self.stream == MAIN else f"/s/{self.stream}/ws"
        return f"{'wss' if self.settings.certfile else 'ws'}://{host}:{self.port}{path}"

    def status(self) -> str:
        room = self.room
        return f"{self.local_url} ({len(room.sessions) if room else 0} clients)"

    # -- the legacy interface ----------------------------------------------
    def client_count(self) -> int:
        """Connected clients using one of this display's codecs."""
        room = self.room
        if room is None:
            return 0
        return sum(1 for s in room.sessions if s.codec.subprotocol in self.subprotocols)

    def get_ws_port(self) -> int:
        return self.port

    def get_http_port(self) -> int:
        """HTTP and WebSocket share one port now."""
        return self.port

    def set_frame_delay(self, delay: float) -> None:
        """Stored for engines that read it back (as the legacy class did); the hub itself never sleeps."""
        self._frame_delay = delay

    def get_frame_delay(self) -> float:
        return self._frame_delay

    def set_client_connected_callback(self, callback: Callable[..., Any] | None) -> None:
        """``callback(client: glyphcast.ClientInfo)`` on the hub's thread when a client joins."""
        self.connected_callback = callback

    def set_client_disconnected_callback(self, callback: Callable[..., Any] | None) -> None:
        """``callback(client: glyphcast.ClientInfo)`` on the hub's thread when a client leaves."""
        self.disconnected_callback = callback

    def set_command_callback(self, callback: Callable[..., Any] | None) -> None:
        """``callback(command)`` on the hub's thread for a controller's ``command`` message."""
        self.command_callback = callback

    def set_resize_callback(self, callback: Callable[..., Any] | None) -> None:
        """``callback(width, height)`` on the hub's thread for a controller's ``resize`` message."""
        self.resize_callback = callback

    def set_controller(self, controller: Any) -> None:
        """An object whose state answers ``state_request`` (stages, presets, selected stage)."""
        self._controller = controller

    def broadcast_state(self, state: dict[str, Any]) -> None:
        """Send ``{"type": "state", "state": state}`` to every client (a slow one gets the newest)."""
        room = self.room
        if room is not None:
            room.call(room.broadcast_state, dict(state))

    # -- what the hub tells this display (glyphcast_websocket.events.HubListener) --
    def on_client_connected(self, client: ClientInfo) -> None:
        if self.connected_callback is not None:
            self.connected_callback(client)

    def on_client_disconnected(self, client: ClientInfo) -> None:
        if self.disconnected_callback is not None:
            self.disconnected_callback(client)

    def on_client_command(self, command: Any, client: ClientInfo) -> None:
        if self.command_callback is not None:
            self.command_callback(command)

    def on_client_resize(self, width: int, height: int, client: ClientInfo) -> None:
        """A controller's ``resize``: the new size is what ``get_dimensions()`` reports (as in the seed)."""
        self.width, self.height = width, height
        if self.resize_callback is not None:
            self.resize_callback(width, height)

    def on_hub_failed(self, error: BaseException) -> None:
        self.fail(error)

    def state_snapshot(self) -> dict[str, Any] | None:
        """The legacy snapshot of the controller: stages, preset(s), selected stage."""
        controller = self._controller
        if controller is None:
            return None
        state: dict[str, Any] = {}
        if hasattr(controller, "stages"):
            state["stages"] = {
                name: {"enabled": ctrl.enabled, "params": ctrl.params, "selected": ctrl.selected}
                for name, ctrl in controller.stages.items()
            }
        if hasattr(controller, "_current_preset"):
            state["preset"] = controller._current_preset
        if hasattr(controller, "_presets"):
            state["presets"] = controller._presets
        if hasattr(controller, "selected_stage"):
            state["selected_stage"] = controller.selected_stage
        return state


spell_out_settings(HubDisplay.__init__)
