"""A standalone reproduction (not a test): one TLS 1.3 connection read on one thread while
another thread writes it loses the write now and then, with no error anywhere.

That is what websockets' threaded client (``websockets.sync.client``) does: a thread of its own
waits in ``select()`` and then reads the socket with a blocking ``SSLSocket.recv()``, while the
caller's thread sends the opening handshake. OpenSSL forbids using one ``SSL`` object from two
threads at once, and CPython's ``ssl`` module does not serialize the two (3.11; 3.13.6 briefly
did, which deadlocked websockets' tests, and 3.13.7 took it out again).

What goes wrong, as far as the OpenSSL 3.0 sources tell: right after the handshake a TLS 1.3
server sends session tickets. The reading thread's ``SSL_read`` processes them in the handshake
state machine, which pushes a buffering BIO in front of the socket while it runs
(``ssl_init_wbio_buffer``) and frees it when done (``ssl_free_wbio_buffer``), without flushing.
A request the other thread's ``SSL_write`` wrote in that instant went into that buffer:
``sendall()`` returned, the bytes never reached the socket, and client and server then wait for
each other forever. Other outcomes of the same race seen here: ``SSLError: internal error`` or
``unexpected message`` from ``sendall()``, and once a segmentation fault.

Run it::

    python tests/deploy/tls_thread_race.py [COUNT] [tls13 | tls12 | no-tickets | websockets]

``tls13`` (default) is the pattern above with the stdlib only; ``tls12`` and ``no-tickets``
(TLS 1.3 without session tickets) are the controls: nothing is read after the handshake, and
nothing is lost. ``websockets`` is websockets' own threaded client and server. Measured on this
machine (Python 3.11.7, OpenSSL 3.0.19, websockets 17.4, loaded): tls13 14 and 36 of 1,000
requests lost (the server received 0 bytes on each), 1 and 3 failed sends; tls12 and no-tickets
0 of 3,000; websockets 11 of 3,000 and 14 of 1,000 opening handshakes timed out ("timed out
while waiting for handshake response"), and two other runs ended on ``InvalidMessage`` and
``ConnectionClosedError``.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def contexts(variant: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server and a client context for a self-signed certificate made here."""
    tmp = tempfile.mkdtemp()
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=cert)
    if variant == "tls12":
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    elif variant == "no-tickets":
        server.num_tickets = 0
    return server, client


def stdlib(count: int, server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> str:
    listener = socket.create_server(("127.0.0.1", 0))
    unanswered: list[int] = []  # bytes the server had on connections that ended without a whole request

    def handle(raw: socket.socket) -> None:
        try:
            with server_context.wrap_socket(raw, server_side=True) as tls:  # sends the session tickets
                data = b""
                while not data.endswith(b"\r\n\r\n"):
                    chunk = tls.recv(4096)
                    if not chunk:
                        unanswered.append(len(data))
                        return
                    data += chunk
                tls.sendall(RESPONSE)
        except OSError as error:
            print(f"server: {error}", flush=True)

    def serve() -> None:
        while True:
            raw, _ = listener.accept()
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    lost = failed = 0
    for attempt in range(count):
        tls = client_context.wrap_socket(
            socket.create_connection(listener.getsockname()), server_hostname="localhost"
        )
        answered = threading.Event()

        def read(tls: ssl.SSLSocket = tls, answered: threading.Event = answered) -> None:
            # As websockets.sync.connection.Connection.recv_events: select(), then a blocking recv().
            while True:
                select.select([tls], [], [])
                try:
                    data = tls.recv(65536)
                except OSError:
                    return
                if not data or RESPONSE in data:
                    answered.set()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            tls.sendall(REQUEST)
            if not answered.wait(5):
                lost += 1
                print(f"attempt {attempt}: no response in 5 s, although sendall() returned", flush=True)
        except ssl.SSLError as error:
            failed += 1
            print(f"attempt {attempt}: sendall() failed: {error}", flush=True)
        try:
            tls.shutdown(socket.SHUT_RDWR)  # wakes the reader (closing the socket would not)
        except OSError:
            pass  # the server gave up first
        reader.join()
        tls.close()
    return (
        f"{count} requests: {lost} lost, {failed} failed sends; the server saw {len(unanswered)} connections "
        f"end without a request (bytes it had received on each: {unanswered})"
    )


def with_websockets(count: int, server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> str:
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect
    from websockets.sync.server import ServerConnection, serve

    def handler(ws: ServerConnection) -> None:
        ws.send("hello")

    server = serve(handler, "127.0.0.1", 0, ssl=server_context, open_timeout=10)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    stalled = failed = 0
    for attempt in range(count):
        try:
            with connect(f"wss://localhost:{port}/", ssl=client_context, open_timeout=5) as ws:
                ws.recv(timeout=5)
        except TimeoutError as error:  # then the client waits for its reader until the server's open_timeout
            stalled += 1
            print(f"attempt {attempt}: {error}", flush=True)
        except (OSError, WebSocketException) as error:
            failed += 1
            print(f"attempt {attempt}: {type(error).__name__}: {error}", flush=True)
    server.shutdown()
    return f"{count} opening handshakes: {stalled} timed out, {failed} failed otherwise"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    variant = sys.argv[2] if len(sys.argv) > 2 else "tls13"
    server_context, client_context = contexts(variant)
    run = with_websockets if variant == "websockets" else stdlib
    result = run(count, server_context, client_context)
    print(f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}, {variant}: {result}")


if __name__ == "__main__":
    main()
