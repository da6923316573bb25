"""A hub's settings: what every display sharing one host and port must agree on."""

from __future__ import annotations

from dataclasses import dataclass

from glyphcast import DisplayError

from glyphcast_websocket import intake
from glyphcast_websocket.security import Policy


@dataclass(frozen=True, slots=True)
class Settings:
    """Per-hub settings; displays sharing a hub must agree on them.

    ``write_limit`` is the socket write buffer above which a session waits for
    the socket to drain (and then gets the newest frame); ``rate``/``burst``
    bound the messages a client may send; ``max_clients`` counts upgraded
    connections (controllers may exceed it by
    :data:`~glyphcast_websocket.security.CONTROLLER_SLOTS`); ``trusted_proxies``
    are the addresses/networks whose ``X-Forwarded-For``/``Forwarded`` name the
    client; ``max_handshakes`` caps connections in their opening handshake
    (at the cap the server stops accepting: the rest wait in the listen
    backlog), ``max_handshakes_per_address`` those of one address (further ones
    wait their turn), and ``open_timeout`` is the time a connection has for its
    handshake, TLS included, from its TCP accept (see :mod:`.intake`). ``reuse_port`` sets
    SO_REUSEPORT on the listening socket, so several processes (edge servers of
    one stream) can listen on the same port and the kernel spreads new
    connections among them.
    """

    token: str = ""
    control_token: str = ""
    allow_origin: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    public_url: str = ""
    frame_ancestors: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    certfile: str = ""
    keyfile: str = ""
    max_clients: int = 256
    max_handshakes: int = intake.LIMIT
    max_handshakes_per_address: int = intake.PER_ADDRESS
    write_limit: int = 32 * 1024
    open_timeout: float = intake.TIMEOUT
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    rate: float = 50.0
    burst: float = 100.0
    #: Offer permessage-deflate, each message compressed once for every session that takes it.
    compression: bool = True
    reuse_port: bool = False

    def server_part(self) -> tuple[object, ...]:
        """What every stream on one port must agree on: the server's own settings, not a stream's."""
        return (self.certfile, self.keyfile, self.max_handshakes, self.max_handshakes_per_address,
                self.write_limit, self.open_timeout,
                self.ping_interval, self.ping_timeout, self.compression, self.reuse_port)

    def policy(self, host: str, port: int) -> Policy:
        """The access rules for a server on (host, port); a one-line DisplayError for unusable values."""
        try:
            return Policy(
                token=self.token,
                control_token=self.control_token,
                allow_origin=self.allow_origin,
                host=host,
                port=port,
                allowed_hosts=self.allowed_hosts,
                public_url=self.public_url,
                frame_ancestors=self.frame_ancestors,
                max_clients=self.max_clients,
                tls=bool(self.certfile),
                trusted_proxies=self.trusted_proxies,
            )
        except ValueError as error:
            raise DisplayError(str(error)) from None
