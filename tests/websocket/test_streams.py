"""Several named streams on one port: each its own frames, clients, tokens; paths say which."""

from __future__ import annotations

from typing import Any

import glyphcast
import pytest
from glyphcast import DisplayError
from glyphcast.plugins import load_registry, reset_registry
from glyphcast_websocket import HubDisplay
from glyphcast_websocket.testing import (
    VIEW_TOKEN,
    connect,
    expect_close,
    http_get,
    receive,
    receive_frame,
    receive_until,
)
from hub_fixtures import Recorder, free_port
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import InvalidStatus

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def two_streams(open_hub: Any) -> tuple[Any, Any, Any]:
    """The main stream and streams "a" and "b", all on one port."""
    port = free_port()
    return open_hub(port=port), open_hub(port=port, stream="a"), open_hub(port=port, stream="b")


def test_each_stream_has_its_own_page_socket_and_hello(two_streams: tuple[Any, Any, Any]) -> None:
    main, a, b = two_streams
    assert main.hub is a.hub is b.hub  # one server
    assert a.ws_url.endswith("/s/a/ws") and a.url.endswith("/s/a/")
    assert main.url.endswith(f":{main.port}/s/main/")  # `/` lists the streams while there are several
    main.show(["main screen"])
    a.show(["a screen"])
    for display, name, text in ((main, "main", "main screen"), (a, "a", "a screen")):
        with connect(display.ws_url, JSON) as ws:
            assert receive(ws)["stream"] == name
            assert receive_frame(ws)["lines"][0] == text
    status, _, body = http_get(a, "/s/a/healthz")
    assert status == 200 and b'"stream": "a"' in body and b'"streams": ["a", "b", "main"]' in body


def test_root_lists_the_streams_when_there_are_several(two_streams: tuple[Any, Any, Any]) -> None:
    main, _, _ = two_streams
    status, headers, body = http_get(main, "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    for name in ("main", "a", "b"):
        assert f'href="/s/{name}/"'.encode() in body
    with connect(main, JSON) as ws:  # /ws (and the seed's /) still reach the main stream
        assert receive(ws)["stream"] == "main"


def test_a_stream_path_without_its_slash_redirects_and_unknown_streams_are_404(
    two_streams: tuple[Any, Any, Any],
) -> None:
    main, _, _ = two_streams
    status, headers, _ = http_get(main, "/s/a")
    assert status == 308 and headers["location"] == "/s/a/"
    assert http_get(main, "/s/nope/")[0] == 404
    with pytest.raises(InvalidStatus) as refused, connect(f"ws://127.0.0.1:{main.port}/s/nope/ws", JSON):
        pass
    assert refused.value.response.status_code == 404


def test_tokens_are_per_stream_and_a_private_stream_is_not_listed(open_hub: Any) -> None:
    port = free_port()
    public = open_hub(port=port, stream="public")
    private = open_hub(port=port, stream="private", token=VIEW_TOKEN)
    with pytest.raises(InvalidStatus) as refused, connect(private.ws_url, JSON):
        pass
    assert refused.value.response.status_code == 403
    with connect(private.ws_url, JSON, token=VIEW_TOKEN) as ws:
        assert receive(ws)["stream"] == "private"
    with connect(public.ws_url, JSON) as ws:
        assert receive(ws)["stream"] == "public"
    body = http_get(public, "/")[2]
    assert b"/s/public/" in body and b"private" not in body


def test_hooks_are_told_which_stream_a_client_watches(two_streams: tuple[Any, Any, Any]) -> None:
    _, a, _ = two_streams
    recorder = Recorder()
    reset_registry(load_registry(extra_plugins=[("recorder", recorder)]))
    try:
        with connect(a.ws_url, JSON) as ws:
            receive(ws)
            assert recorder.wait("connected")[0].stream == "a"
    finally:
        reset_registry()


def test_a_stream_whose_displays_leave_closes_its_clients_and_the_others_go_on(
    two_streams: tuple[Any, Any, Any],
) -> None:
    main, a, _ = two_streams
    main.show(["still here"])
    with connect(a.ws_url, JSON) as on_a, connect(main.ws_url, JSON) as on_main:
        receive_until(on_a, "hello")
        receive_frame(on_main)
        a.cleanup()
        assert expect_close(on_a)[0] == 1001
        main.show(["and on"])
        assert receive_frame(on_main)["lines"][0] == "and on"
    assert http_get(main, "/s/a/")[0] == 404


def test_stream_names_must_fit_in_a_url() -> None:
    for bad in ("", "A", "has space", "../up", "x" * 65, "-lead"):
        with pytest.raises(DisplayError, match="stream name"):
            glyphcast.open_display("websocket", port=0, stream=bad or "-")


def test_streams_on_one_port_must_share_the_server_s_own_options(open_hub: Any) -> None:
    port = free_port()
    open_hub(port=port, stream="a", token="one-token-for-stream-a-long-enough")
    open_hub(
        port=port, stream="b", token="another-token-for-stream-b-long-enough"
    )  # tokens differ per stream: fine
    other = HubDisplay(port=port, stream="c", write_limit=1024)
    with pytest.raises(DisplayError, match="server's options"):
        other.init(10, 2)
    with pytest.raises(DisplayError, match="stream 'a'"):
        open_hub(port=port, stream="a", token="a-different-token-for-a-long-enough")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shows=st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=30))
def test_two_streams_on_one_port_never_mix_frames(
    two_streams: tuple[Any, Any, Any], shows: list[str]
) -> None:
    _, a, b = two_streams
    displays = {"a": a, "b": b}
    with connect(a.ws_url, JSON) as on_a, connect(b.ws_url, JSON) as on_b:
        receive_until(on_a, "hello")
        receive_until(on_b, "hello")
        for n, name in enumerate(shows):
            displays[name].show([f"{name}:{n}"])
        for name, ws in (("a", on_a), ("b", on_b)):
            wanted = [n for n, shown in enumerate(shows) if shown == name]
            if not wanted:
                continue
            last = f"{name}:{wanted[-1]}"
            while True:  # latest-wins may skip frames; every one that arrives is this stream's
                line = receive_frame(ws)["lines"][0]
                assert line.startswith(f"{name}:")
                if line == last:
                    break
