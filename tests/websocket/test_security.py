"""Origin, token and role rules, the client limit, over real loopback connections."""

from __future__ import annotations

from typing import Any

import pytest
from glyphcast_websocket.testing import (
    CONTROL_TOKEN,
    VIEW_TOKEN,
    connect,
    raw_upgrade,
    receive,
    receive_until,
    send,
)
from websockets.exceptions import InvalidStatus

JSON = "glyphcast.json.v1"
pytestmark = pytest.mark.timeout(30)


def test_upgrade_from_a_foreign_origin_is_refused_with_403(open_hub: Any) -> None:
    display = open_hub()
    # what `curl -H 'Origin: http://evil.example' -H 'Upgrade: websocket' ...` sends
    status, body = raw_upgrade(display, {"Origin": "http://evil.example", "Sec-WebSocket-Protocol": JSON})
    assert status == 403
    assert b"evil.example" in body and b"allow_origin" in body


def test_upgrade_from_the_servers_own_page_is_accepted(open_hub: Any) -> None:
    display = open_hub()
    status, _ = raw_upgrade(display, {"Origin": f"http://127.0.0.1:{display.port}"})
    assert status == 101
    with connect(display, JSON, origin=f"http://127.0.0.1:{display.port}") as ws:
        assert receive(ws)["type"] == "hello"


def test_allow_origin_lets_a_listed_origin_in(open_hub: Any) -> None:
    display = open_hub(allow_origin="http://app.example,http://other.example")
    with connect(display, JSON, origin="http://other.example") as ws:
        assert receive(ws)["type"] == "hello"
    with pytest.raises(InvalidStatus) as refused:
        with connect(display, JSON, origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


def test_token_is_needed_to_connect_and_a_wrong_one_is_refused_before_the_upgrade(open_hub: Any) -> None:
    display = open_hub(token=VIEW_TOKEN, control=False)
    for token in (None, "wrong"):
        with pytest.raises(InvalidStatus) as refused:
            with connect(display, JSON, token=token):
                pass
        assert refused.value.response.status_code == 403 and b"token" in refused.value.response.body
    with connect(display, JSON, token=VIEW_TOKEN) as ws:
        assert receive(ws)["role"] == "viewer"  # loopback or not: no control token, no controller


def test_control_token_decides_who_controls(open_hub: Any, recorder: Any) -> None:
    display = open_hub(control_token=CONTROL_TOKEN)
    with connect(display, JSON) as viewer, connect(display, JSON, token=CONTROL_TOKEN) as controller:
        assert receive(viewer)["role"] == "viewer"
        assert receive(controller)["role"] == "controller"
        send(viewer, {"type": "command", "command": "from viewer"})
        assert receive_until(viewer, "error")["code"] == "forbidden"
        send(controller, {"type": "command", "command": "from controller"})
        assert recorder.wait("command") == [("from controller", "controller")]


def test_the_client_over_max_clients_is_refused_with_503_before_the_upgrade(open_hub: Any) -> None:
    display = open_hub(max_clients=2)
    with connect(display, JSON) as a, connect(display, JSON) as b:
        receive(a), receive(b)
        with pytest.raises(InvalidStatus) as refused:
            with connect(display, JSON):
                pass
        response = refused.value.response
        assert response.status_code == 503 and b"full" in response.body
        assert int(response.headers["Retry-After"]) > 0
    with connect(display, JSON) as again:  # the slots free up when clients leave
        assert receive(again)["type"] == "hello"


def test_binds_loopback_by_default() -> None:
    from glyphcast_websocket import WebSocketDisplay

    display = WebSocketDisplay(port=0)
    try:
        display.init(10, 2)
        assert display.host == "127.0.0.1"
        assert display.hub is not None and display.hub._server is not None
        bound = {s.getsockname()[0] for s in display.hub._server.sockets}
        assert bound == {"127.0.0.1"}
    finally:
        display.cleanup()
