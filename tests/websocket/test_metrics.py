"""``/metrics``: Prometheus' text format from prometheus-client, one registry per hub, counters that move with traffic."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
from glyphcast_websocket.metrics import Durations
from glyphcast_websocket.testing import (
    VIEW_TOKEN,
    connect,
    decode,
    http_get,
    metric,
    raw_upgrade,
    receive,
    receive_frame,
    scrape,
    send,
    stalled_client,
    wait_for,
)
from hub_fixtures import free_port
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import InvalidHandshake

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)

FAMILIES = {
    "glyphcast_clients": "gauge",
    "glyphcast_connections": "counter",
    "glyphcast_stream_frames": "counter",
    "glyphcast_frames_sent": "counter",
    "glyphcast_frames_skipped": "counter",
    "glyphcast_resyncs": "counter",
    "glyphcast_sent_bytes": "counter",
    "glyphcast_write_stalls": "counter",
    "glyphcast_refused": "counter",
    "glyphcast_handshake_seconds": "histogram",
}


OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def framed_length(data: str | bytes) -> int:
    """Bytes of the unmasked WebSocket frame that carried ``data`` (server -> client, no extensions)."""
    size = len(data.encode() if isinstance(data, str) else data)
    return size + (2 if size < 126 else 4 if size < 65536 else 10)


def receive_type(data: str | bytes) -> str:
    return str(decode(data)["type"])


def test_metrics_parse_with_prometheus_clients_own_parser(open_hub: Any) -> None:
    display = open_hub()
    with connect(display, JSON) as ws:
        receive(ws)
        status, headers, body = http_get(display, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    assert headers["x-content-type-options"] == "nosniff"  # the policy's headers, as on every response
    families = {f.name: f.type for f in text_string_to_metric_families(body.decode())}
    assert families == FAMILIES


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(open_hub: Any) -> None:
    display = open_hub()
    status, headers, body = http_get(
        display, "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert status == 200
    assert headers["content-type"].startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


def test_frames_and_bytes_count_what_clients_were_sent_and_outlive_them(open_hub: Any) -> None:
    display = open_hub()
    before = scrape(display)
    assert metric(before, "glyphcast_clients", stream="main", codec=JSON, role="viewer") == 0
    framed = 0
    with connect(display, JSON) as ws:
        seen_frames, seen_presence = 0, False
        for n in range(1, 6):
            display.show([f"frame {n}"])
            while True:  # every message this client is sent, so the bytes can be added up exactly
                data = ws.recv(timeout=5)
                framed += framed_length(data)
                kind = receive_type(data)
                seen_presence |= kind == "presence"
                if kind == "frame":
                    seen_frames += 1
                    break
        while not seen_presence:
            data = ws.recv(timeout=5)
            framed += framed_length(data)
            seen_presence = receive_type(data) == "presence"
        during = scrape(display)
        assert metric(during, "glyphcast_clients", stream="main", codec=JSON, role="viewer") == 1
        assert metric(during, "glyphcast_connections_total", stream="main", codec=JSON, role="viewer") == 1
        assert metric(during, "glyphcast_stream_frames_total", stream="main") == 5
        assert (
            metric(during, "glyphcast_frames_sent_total", stream="main", codec=JSON, kind="full")
            == seen_frames
            == 5
        )
        assert metric(during, "glyphcast_frames_sent_total", kind="delta") == 0  # json sends whole frames
        assert metric(during, "glyphcast_sent_bytes_total", stream="main", codec=JSON) == framed
    assert wait_for(lambda: not display.room.sessions)
    after = scrape(display)
    assert metric(after, "glyphcast_clients", stream="main") == 0
    assert metric(after, "glyphcast_frames_sent_total", stream="main", codec=JSON, kind="full") == 5
    assert metric(after, "glyphcast_sent_bytes_total", stream="main", codec=JSON) == framed
    assert metric(after, "glyphcast_handshake_seconds_count", stream="main") == 1
    assert 0 < metric(after, "glyphcast_handshake_seconds_sum", stream="main") < 5


def test_refused_requests_are_counted_by_reason(open_hub: Any) -> None:
    display = open_hub(token=VIEW_TOKEN)
    assert raw_upgrade(display, {"Host": "evil.example"})[0] == 421
    assert (
        raw_upgrade(display, {"Host": f"127.0.0.1:{display.port}", "Origin": "https://evil.example"})[0]
        == 403
    )
    assert (
        raw_upgrade(display, {"Host": f"127.0.0.1:{display.port}", "Origin": "https://evil.example"})[0]
        == 403
    )
    assert raw_upgrade(display, {"Host": f"127.0.0.1:{display.port}"})[0] == 403  # no token
    samples = scrape(display)
    assert metric(samples, "glyphcast_refused_total", stream="main", reason="host") == 1
    assert metric(samples, "glyphcast_refused_total", stream="main", reason="origin") == 2
    assert metric(samples, "glyphcast_refused_total", stream="main", reason="missing-token") == 1
    # a refused scrape is counted too, and says nothing
    status, _, body = http_get(display, "/metrics", {"Host": "evil.example"})
    assert status == 421 and b"glyphcast_" not in body
    assert metric(scrape(display), "glyphcast_refused_total", reason="host") == 2


def test_a_codec_nobody_serves_is_counted_as_refused(open_hub: Any) -> None:
    display = open_hub()
    with pytest.raises(InvalidHandshake):
        with connect(display, "glyphcast.nonexistent.v1"):
            pass
    assert metric(scrape(display), "glyphcast_refused_total", stream="main", reason="codec") == 1


def test_metrics_need_no_view_token_like_the_page_and_healthz(open_hub: Any) -> None:
    display = open_hub(token=VIEW_TOKEN)
    assert (
        http_get(display, "/")[0]
        == http_get(display, "/healthz")[0]
        == http_get(display, "/metrics")[0]
        == 200
    )


def test_a_resync_is_counted(open_hub: Any) -> None:
    display = open_hub()
    display.show(["one"])
    with connect(display, JSON) as ws:
        receive_frame(ws)
        send(ws, {"type": "resync"})
        display.show(["two"])
        receive_frame(ws, seq=2)
        assert wait_for(
            lambda: metric(scrape(display), "glyphcast_resyncs_total", stream="main", codec=JSON) == 1
        )


def test_a_client_that_stops_reading_counts_write_stalls_and_skipped_frames(open_hub: Any) -> None:
    width, height = 200, 50
    display = open_hub(width=width, height=height)
    room = display.room
    with stalled_client(display, JSON) as stalled:
        assert wait_for(lambda: len(room.sessions) == 1)
        slow = room.sessions[0]
        slow.connection.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 16384
        )
        display.show(["first"])
        assert wait_for(lambda: slow.outbox.shown is not None)  # from here on, every seq is sent or skipped
        for n in range(2, 301):
            display.show([f"{n:06d} {y:03d} ".ljust(width, chr(0x41 + (n + y) % 26)) for y in range(height)])
            time.sleep(0.001)
        assert wait_for(lambda: slow.drainer is not None)
        assert metric(scrape(display), "glyphcast_write_stalls_total", stream="main", codec=JSON) >= 1
        # It reads everything now: the drain gives it the newest frame, past all it missed.
        stalled.settimeout(0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (slow.outbox.shown is None or slow.outbox.shown.seq != 300):
            try:
                stalled.recv(1 << 20)
            except TimeoutError:
                pass
        samples = scrape(display)
        sent = metric(samples, "glyphcast_frames_sent_total", stream="main", codec=JSON)
        skipped = metric(samples, "glyphcast_frames_skipped_total", stream="main", codec=JSON)
        assert skipped > 0
        assert sent + skipped == 300  # every frame was either written to it or skipped for a newer one
        assert metric(samples, "glyphcast_stream_frames_total", stream="main") == 300


def test_handshake_buckets_count_a_duration_on_a_bound_in_that_bucket() -> None:
    durations = Durations((0.001, 0.01))
    for seconds in (0.001, 0.005, 3.0):
        durations.observe(seconds)
    assert durations.cumulative() == [("0.001", 1.0), ("0.01", 2.0), ("+Inf", 3.0)]
    assert durations.sum == pytest.approx(3.006)


def test_every_hub_has_its_own_registry_and_the_default_one_stays_clean(open_hub: Any) -> None:
    one, two = open_hub(), open_hub()
    with connect(one, JSON) as ws:
        receive(ws)
        assert metric(scrape(one), "glyphcast_clients") == 1
        assert metric(scrape(two), "glyphcast_clients") == 0
    assert not [m for m in prometheus_client.REGISTRY.collect() if m.name.startswith("glyphcast")]


def test_each_stream_is_counted_under_its_own_name(open_hub: Any) -> None:
    port = free_port()
    a = open_hub(port=port, stream="a")
    b = open_hub(port=port, stream="b")
    with connect(a, JSON, path="/s/a/ws") as in_a, connect(b, JSON, path="/s/b/ws") as in_b:
        receive(in_a)
        receive(in_b)
        a.show(["for a"])
        a.show(["for a again"])
        b.show(["for b"])
        receive_frame(in_a, seq=2)
        receive_frame(in_b, seq=1)
        samples = scrape(a)  # one page per port: every stream on it
        assert (
            metric(samples, "glyphcast_clients", stream="a")
            == metric(samples, "glyphcast_clients", stream="b")
            == 1
        )
        assert metric(samples, "glyphcast_stream_frames_total", stream="a") == 2
        assert metric(samples, "glyphcast_stream_frames_total", stream="b") == 1


def test_the_sample_scrape_in_the_docs_parses_and_names_every_metric_a_hub_serves(open_hub: Any) -> None:
    doc = OPERATIONS.read_text(encoding="utf-8")
    sample = re.search(r"```text\n(# HELP glyphcast_.*?)```", doc, re.DOTALL)
    assert sample, "docs/operations.md has no sample scrape"
    documented = {f.name: f.type for f in text_string_to_metric_families(sample.group(1))}
    assert documented == FAMILIES
    served = {f.name for f in text_string_to_metric_families(http_get(open_hub(), "/metrics")[2].decode())}
    assert served == set(FAMILIES)
    for name, kind in FAMILIES.items():  # and the table says what each one means
        exposed = f"{name}_total" if kind == "counter" else name
        assert f"| `{exposed}` | {kind} |" in doc, f"docs/operations.md does not describe {exposed}"
