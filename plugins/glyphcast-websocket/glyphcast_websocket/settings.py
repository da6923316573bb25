"""A stream's settings, and the declaration of every option that sets them.

:class:`Settings` is where the websocket display's options are declared: each
field is one option, with its type, its default and (in the field's metadata,
an :class:`About`) its help, who may set it and what else it feeds: the
:class:`~glyphcast_websocket.security.Policy`, or the server that every stream
on the port shares. The display's factory, :class:`~glyphcast_websocket.HubDisplay`'s
signature and docs/websocket-options.md are made from these fields
(:mod:`glyphcast_websocket.options`), so adding an option is one field here.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glyphcast import DisplayError

from glyphcast_websocket import intake
from glyphcast_websocket.security import CONTROLLER_SLOTS, Policy

#: Who may set an option: ``websocket:NAME=VALUE`` and ``HubDisplay(NAME=VALUE)``, ...
DISPLAY = "display"
#: ... ``HubDisplay(NAME=VALUE)`` only (tuning for Python callers and tests), ...
PYTHON = "python"
#: ... or nobody: the hub's own value.
FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class About:
    """What a :class:`Settings` field is, besides its name, type and default.

    ``help``: one line for the option's documentation (Markdown: `code`).
    ``audience``: :data:`DISPLAY`, :data:`PYTHON` or :data:`FIXED`.
    ``policy``: the :class:`~glyphcast_websocket.security.Policy` gets it (a field of the same name).
    ``server``: one per port: every stream on it must agree (:meth:`Settings.server_part`).
    ``at_least``: the smallest value allowed.
    """

    help: str
    audience: str = DISPLAY
    policy: bool = False
    server: bool = False
    at_least: int | None = None


def _setting(default: Any, help: str, **about: Any) -> Any:
    return field(default=default, metadata={"about": About(help, **about)})


@dataclass(frozen=True, slots=True)
class Settings:
    """A stream's settings (each field an option; see the module docstring).

    Displays sharing a stream must agree on all of them, streams sharing a port
    on those of :meth:`server_part`. Connections count as the listener sees them
    (:mod:`.intake`): ``max_clients`` upgraded ones (controllers may exceed it
    by :data:`~glyphcast_websocket.security.CONTROLLER_SLOTS`).
    """

    token: str = _setting(
        "",
        "a token every client needs, even to watch (at least 128 bits); or `token_file`, `GLYPHCAST_TOKEN`",
        policy=True,
    )
    control_token: str = _setting(
        "",
        "the token that makes a client a controller (at least 128 bits); or `control_token_file`, "
        "`GLYPHCAST_CONTROL_TOKEN`; without one, a random one per run",
        policy=True,
    )
    allow_origin: tuple[str, ...] = _setting(
        (),
        "browser origins that may connect besides the server's own pages, comma-separated; `*` for any",
        policy=True,
    )
    allowed_hosts: tuple[str, ...] = _setting(
        (),
        "host names answered besides this machine's (the DNS-rebinding check), comma-separated: "
        "`example.com`, `example.com:443`, `*.example.com`; `*` for any",
        policy=True,
    )
    public_url: str = _setting(
        "", "the address viewers open behind a reverse proxy (its origin is served too)", policy=True
    )
    frame_ancestors: tuple[str, ...] = _setting(
        (),
        "origins that may show the viewer in a frame, comma-separated (default: only the server itself)",
        policy=True,
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "addresses or networks (`127.0.0.1,10.0.0.0/8`) whose `X-Forwarded-For`/`Forwarded` name the "
        "client, for the wrong-token throttle and the logs",
        policy=True,
    )
    certfile: str = _setting(
        "", "a PEM certificate (full chain): serve https and wss, with `keyfile`", server=True
    )
    keyfile: str = _setting("", "the PEM private key of `certfile`", server=True)
    max_clients: int = _setting(
        256,
        f"viewers connected at once; controllers have {CONTROLLER_SLOTS} more places",
        policy=True,
        at_least=1,
    )
    max_handshakes: int = _setting(
        intake.LIMIT,
        "connections in their opening handshake at once; at the cap the server stops accepting "
        "(the rest wait in the listen backlog)",
        audience=FIXED,
        server=True,
    )
    max_handshakes_per_address: int = _setting(
        intake.PER_ADDRESS,
        "connections of one address in their opening handshake; more wait their turn",
        audience=FIXED,
        server=True,
    )
    write_limit: int = _setting(
        32 * 1024,
        "bytes buffered for a client's socket above which its session waits for the socket to drain "
        "(and then gets the newest frame)",
        audience=PYTHON,
        server=True,
    )
    open_timeout: float = _setting(
        intake.TIMEOUT,
        "seconds a connection has for its opening handshake, TLS included, from its TCP accept",
        audience=FIXED,
        server=True,
    )
    ping_interval: float = _setting(
        20.0,
        "seconds between WebSocket pings; a client that does not answer within as long is closed",
        audience=PYTHON,
        server=True,
    )
    ping_timeout: float = _setting(
        20.0,
        "seconds a ping waits for its pong (HubDisplay's `ping_interval` sets both)",
        audience=FIXED,
        server=True,
    )
    rate: float = _setting(50.0, "messages a client may send per second, on average", audience=FIXED)
    burst: float = _setting(100.0, "messages a client may send at once", audience=FIXED)
    compression: bool = _setting(
        True,
        "offer permessage-deflate, each message compressed once for every client that takes it; "
        "`false` to turn it off",
        server=True,
    )
    reuse_port: bool = _setting(
        False,
        "SO_REUSEPORT: several processes (edge servers of one stream) listen on one port and the "
        "kernel spreads connections among them",
        server=True,
    )

    def __post_init__(self) -> None:
        for option in dataclasses.fields(self):
            least = about(option).at_least
            value = getattr(self, option.name)
            if least is not None and value < least:
                raise DisplayError(f"{option.name} must be at least {least}, not {value}")
        if bool(self.certfile) != bool(self.keyfile):
            raise DisplayError("TLS needs both certfile and keyfile (the certificate and its private key)")

    @classmethod
    def of(cls, options: Mapping[str, Any], *, caller: str = "HubDisplay()") -> Settings:
        """Settings from a display's options (names of fields a Python caller may set).

        Values are taken as Python callers pass them: any iterable of strings for
        a tuple, a path for a string, None for the default. Another name is a
        TypeError, as a misspelt keyword argument is; a value out of range a
        one-line DisplayError.
        """
        fields = {option.name: option for option in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name, value in options.items():
            option = fields.get(name)
            if option is None or about(option).audience == FIXED:
                raise TypeError(f"{caller} got an unexpected keyword argument {name!r}")
            if value is not None:
                values[name] = _taken(value, _TYPES[name])
        # HubDisplay's one ping option is both the interval and the time a ping waits for its pong.
        if "ping_interval" in values:
            values.setdefault("ping_timeout", values["ping_interval"])
        return cls(**values)

    def server_part(self) -> tuple[object, ...]:
        """What every stream on one port must agree on: the server's own settings, not a stream's."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self) if about(f).server)

    def policy(self, host: str, port: int) -> Policy:
        """The access rules for a server on (host, port); a one-line DisplayError for unusable values."""
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if about(f).policy}
        try:
            return Policy(host=host, port=port, tls=bool(self.certfile), **given)
        except ValueError as error:
            raise DisplayError(str(error)) from None


#: Each field's type, as objects (the module's annotations are text).
_TYPES = typing.get_type_hints(Settings)


def about(option: dataclasses.Field[Any]) -> About:
    """What a :class:`Settings` field declares besides its name, type and default."""
    declared: About = option.metadata["about"]
    return declared


def _taken(value: Any, kind: Any) -> Any:
    """A Python caller's value as the field's type holds it: a tuple of any iterable, a path as text."""
    if typing.get_origin(kind) is tuple and not isinstance(value, tuple):
        return tuple(value)
    if kind is str and isinstance(value, os.PathLike):
        return os.fspath(value)
    return value
