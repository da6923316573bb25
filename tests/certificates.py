"""Self-signed TLS certificates for tests, made by the ``openssl`` command (one way, for every test directory)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_certificate(
    openssl: str, folder: Path, *names: str, subject: str = "glyphcast test"
) -> tuple[Path, Path]:
    """``folder``/cert.pem and key.pem: an EC P-256 certificate for ``names`` and 127.0.0.1, valid 2 days.

    ``openssl`` is the command's path: each caller decides whether its absence skips or fails.
    """
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join([*(f"DNS:{name}" for name in names), "IP:127.0.0.1"])
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={subject}"]
        + ["-addext", f"subjectAltName={san}"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
