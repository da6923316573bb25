"""TLS in glyphcast itself: https and wss on the hub's one port, from a certificate and its key."""

from __future__ import annotations

import ssl

from glyphcast import DisplayError


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext | None:
    """The server's TLS context (https and wss on the same port), or None without a certificate.

    The files are read once, here: restart the server after renewing them.
    """
    if not certfile:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise DisplayError(
            f"cannot use certfile={certfile} keyfile={keyfile}: {getattr(error, 'strerror', None) or error}"
        ) from None
    return context
