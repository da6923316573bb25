"""What the security policy is asked about a request, and what it answers (sans-I/O).

The hub turns each HTTP request into a :class:`Handshake`;
:meth:`~glyphcast_websocket.security.Policy.admit` answers with an
:class:`Admission` or a :class:`Refusal`, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Handshake:
    """What :meth:`~glyphcast_websocket.security.Policy.admit` needs from one HTTP request.

    ``target`` is the request target as sent (path and query); ``headers`` every
    header line in order, repeated names kept (``Headers.raw_items()``);
    ``upgrade`` whether the hub would take this request as a WebSocket upgrade.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    upgrade: bool = False

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


@dataclass(frozen=True, slots=True)
class Admission:
    """The request may go on. ``role`` is set for upgrades only; ``head`` means no body.

    ``client`` is the client's address as the policy took it (canonical text;
    behind a trusted proxy the forwarded one), for logs; it is not compared.
    """

    role: str | None = None
    head: bool = False
    client: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Answer with ``status``, ``headers`` and ``body``; never upgrade, never serve the page.

    ``reason`` is one line for the log (no secrets: never a token); ``log_key``
    groups refusals of one kind for rate-limited logging.
    """

    status: int
    reason: str
    log_key: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def body(self) -> bytes:
        return (self.reason + "\n").encode("utf-8", "replace")
