"""``/metrics``: a hub's counters in Prometheus' text format, with prometheus-client.

The hot path counts nothing for Prometheus: each session already keeps its
:class:`~glyphcast_websocket.delivery.OutboxStats` (frames, deltas, keyframes,
skipped frames, resyncs), its bytes sent and its write stalls, and each stream
the frames it was handed. :class:`HubMetrics`, a prometheus-client collector,
reads those at scrape time; :class:`StreamCounters` keeps the totals of
clients that left, so counters never go down while a stream lives. Refused
requests and handshake times are counted here too, as plain numbers:
prometheus-client's own Counter and Histogram would add a ``_created`` series
per label set to the text format (switching that off is process-wide, and
the application's metrics are not ours to change).

Each hub has its own :class:`~prometheus_client.CollectorRegistry`, never the
process' default one: several hubs (ports) may run in one process, and an
application's own metrics stay its own. Every method runs on the hub's loop,
scrapes included (``/metrics`` is answered there), so nothing here is locked.
"""

from __future__ import annotations

import collections
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from glyphcast_websocket.security import CONTROLLER, VIEWER
from glyphcast_websocket.session import Session

#: Where a hub serves its metrics (one page for every stream on the port).
PATH = "/metrics"

#: Seconds from the TCP accept to the end of the WebSocket handshake; on loopback it is about a millisecond.
HANDSHAKE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class Sent:
    """What the clients of one codec on one stream were sent, and what they did, added up."""

    full: int = 0
    deltas: int = 0
    skipped: int = 0
    resyncs: int = 0
    bytes: int = 0
    stalls: int = 0

    def add(self, s: Session) -> None:
        stats = s.outbox.stats
        self.full += stats.keyframes
        self.deltas += stats.deltas
        self.skipped += stats.skipped
        self.resyncs += stats.resyncs
        self.bytes += s.bytes_sent
        self.stalls += s.stalls

    def copy(self) -> Sent:
        return Sent(self.full, self.deltas, self.skipped, self.resyncs, self.bytes, self.stalls)


class StreamCounters:
    """The counts of one stream that outlive its clients."""

    def __init__(self) -> None:
        #: Clients that connected, by (codec subprotocol, role).
        self.connections: collections.Counter[tuple[str, str]] = collections.Counter()
        #: What clients that left were sent, by codec subprotocol.
        self.departed: dict[str, Sent] = {}

    def joined(self, s: Session) -> None:
        self.connections[(s.codec.subprotocol, s.info.role)] += 1

    def left(self, s: Session) -> None:
        codec = s.codec.subprotocol
        sent = self.departed.get(codec)
        if sent is None:
            sent = self.departed[codec] = Sent()
        sent.add(s)

    def sent(self, sessions: Iterable[Session]) -> dict[str, Sent]:
        """Totals by codec: the clients that left plus those still connected."""
        totals = {codec: sent.copy() for codec, sent in self.departed.items()}
        for s in sessions:
            codec = s.codec.subprotocol
            sent = totals.get(codec)
            if sent is None:
                sent = totals[codec] = Sent()
            sent.add(s)
        return totals


class Stream(Protocol):
    """What the collector reads of a stream (a :class:`~glyphcast_websocket.named_stream.NamedStream` is one)."""

    name: str
    #: Frames the engine handed to the stream.
    frames: int
    counters: StreamCounters

    @property
    def sessions(self) -> tuple[Session, ...]: ...

    @property
    def subprotocols(self) -> Iterable[str]:
        """The codecs the stream offers now."""
        ...


class Durations:
    """Observations in histogram buckets (upper bounds ``buckets``, then +Inf), and their sum."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1  # the first bound >= value: bounds are inclusive
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        """(le, observations <= le) for each bound and +Inf, as the text format writes them."""
        out, total = [], 0
        for bound, count in zip((*self.buckets, float("inf")), self.counts, strict=True):
            total += count
            out.append(
                (repr(bound) if bound != float("inf") else "+Inf", float(total))
            )  # as prometheus-client's own
        return out


class HubMetrics:
    """One hub's registry, and the collector in it: every stream's counts, refused requests, handshake times."""

    def __init__(self, streams: Callable[[], Iterable[Stream]]) -> None:
        self.streams = streams
        #: Refused requests by (stream, reason); stream is "" when the path named none.
        self.refusals: collections.Counter[tuple[str, str]] = collections.Counter()
        #: Handshake durations by stream.
        self.handshakes: dict[str, Durations] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def refused(self, stream: str, reason: str) -> None:
        """A request was refused: ``reason`` is the Refusal's log key (host, origin, bad-token, full, codec, ...)."""
        self.refusals[(stream, reason)] += 1

    def handshake(self, stream: str, seconds: float) -> None:
        durations = self.handshakes.get(stream)
        if durations is None:
            durations = self.handshakes[stream] = Durations(HANDSHAKE_BUCKETS)
        durations.observe(seconds)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The scrape's body and content type: Prometheus' text format, or OpenMetrics when ``accept`` asks."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    def collect(self) -> Iterator[Metric]:
        yield from collect_streams(self.streams())
        refused = CounterMetricFamily(
            "glyphcast_refused",
            "Requests refused before any page or upgrade, by reason (host, origin, bad-token, full, codec, ...).",
            labels=["stream", "reason"],
        )
        for (stream, reason), count in sorted(self.refusals.items()):
            refused.add_metric([stream, reason], count)
        handshake = HistogramMetricFamily(
            "glyphcast_handshake_seconds",
            "Seconds from the TCP accept to the end of the WebSocket opening handshake.",
            labels=["stream"],
        )
        for stream, durations in sorted(self.handshakes.items()):
            handshake.add_metric([stream], durations.cumulative(), durations.sum)
        yield from (refused, handshake)


def collect_streams(streams: Iterable[Stream]) -> Iterator[Metric]:
    """Every stream's counts, as metric families."""
    clients = GaugeMetricFamily(
        "glyphcast_clients", "Clients connected now.", labels=["stream", "codec", "role"]
    )
    connections = CounterMetricFamily(
        "glyphcast_connections",
        "Clients that completed the WebSocket handshake.",
        labels=["stream", "codec", "role"],
    )
    handed = CounterMetricFamily(
        "glyphcast_stream_frames", "Frames the engine handed to the stream.", labels=["stream"]
    )
    frames = CounterMetricFamily(
        "glyphcast_frames_sent",
        "Frames written to clients: kind=full (a whole frame; a keyframe for diff codecs) or kind=delta.",
        labels=["stream", "codec", "kind"],
    )
    skipped = CounterMetricFamily(
        "glyphcast_frames_skipped",
        "Frames a client never got because a newer one replaced them while it was busy (latest-wins).",
        labels=["stream", "codec"],
    )
    resyncs = CounterMetricFamily(
        "glyphcast_resyncs",
        "resync requests: a client lost track of the frames and got a keyframe.",
        labels=["stream", "codec"],
    )
    sent_bytes = CounterMetricFamily(
        "glyphcast_sent_bytes",
        "Bytes written to clients (WebSocket frames: every message, frames or not).",
        labels=["stream", "codec"],
    )
    stalls = CounterMetricFamily(
        "glyphcast_write_stalls",
        "Times a client's socket buffer went over the write limit and the hub waited for it to drain.",
        labels=["stream", "codec"],
    )
    for stream in streams:
        name = stream.name
        sessions = stream.sessions
        # Every codec the stream offers, in both roles, even at 0: a dashboard's series do not come and go.
        now = collections.Counter(
            {(codec, role): 0 for codec in stream.subprotocols for role in (VIEWER, CONTROLLER)}
        )
        for s in sessions:
            now[(s.codec.subprotocol, s.info.role)] += 1
        for (codec, role), count in sorted(now.items()):
            clients.add_metric([name, codec, role], count)
        for (codec, role), count in sorted(stream.counters.connections.items()):
            connections.add_metric([name, codec, role], count)
        handed.add_metric([name], stream.frames)
        for codec, sent in sorted(stream.counters.sent(sessions).items()):
            frames.add_metric([name, codec, "full"], sent.full)
            frames.add_metric([name, codec, "delta"], sent.deltas)
            skipped.add_metric([name, codec], sent.skipped)
            resyncs.add_metric([name, codec], sent.resyncs)
            sent_bytes.add_metric([name, codec], sent.bytes)
            stalls.add_metric([name, codec], sent.stalls)
    yield from (clients, connections, handed, frames, skipped, resyncs, sent_bytes, stalls)
