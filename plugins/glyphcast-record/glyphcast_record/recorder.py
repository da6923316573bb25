"""The ``record`` display: the stream as an asciicast file (v2, or v3 if asked), lossless and crash-safe.

``show()`` only hands the frame over on core's bounded lossless queue
(:class:`glyphcast.handoff.LosslessQueue`); a writer thread encodes
(:class:`~glyphcast_record.asciicast.CastEncoder`) and writes.

Backpressure, by design: a recording is lossless, so when the disk is slower
than the engine the queue grows to ``queue_frames`` and then ``show()`` WAITS
for room instead of dropping frames. Each wait is counted (``waits``,
``wait_seconds``, shown in ``status()``). Up to the bound ``show()`` is O(1).

Crash safety: the writer keeps its own buffer of whole event lines and hands it
to the kernel with ``os.write`` when the queue runs dry, every 100 ms at the
latest, and on close (then ``fsync``). A SIGKILL loses at most the last 100 ms
and never leaves half a line, because a ``write()`` of a regular file is not cut
by the death of the process; only a failing disk can (the readers skip such a
torn last line).
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from glyphcast import Frame, FrameDisplay, OptionError
from glyphcast.handoff import LosslessQueue

from glyphcast_record.asciicast import WRITABLE, AsciicastError, CastEncoder, header_line, parse

log = logging.getLogger("glyphcast.record")

#: Longest time an encoded event waits in the writer's buffer before the kernel has it.
FLUSH_INTERVAL = 0.1
#: Hand the buffer over early when it grows past this many bytes.
FLUSH_BYTES = 256 * 1024


class RecordingError(OptionError):
    """The recording cannot be created or written; the one-line message names the file and what to do."""


@dataclass(frozen=True, slots=True)
class _Clear:
    wall: float


@dataclass(frozen=True, slots=True)
class _Resize:
    width: int
    height: int
    wall: float


@dataclass(frozen=True, slots=True)
class _Marker:
    label: str
    wall: float


_Event = Frame | _Clear | _Resize | _Marker


def _open_unfollowed(path: Path, flags: int) -> int:
    """``os.open(path, flags)``, refusing to write through a symbolic link to a regular file.

    A link planted where a recording goes (a shared directory) would make
    ``overwrite`` truncate, or ``append`` extend, whatever it points at. A link to
    a device or a pipe is followed (``/dev/stdout`` is one): it is opened again
    without truncating, and kept only if what it reached is not a regular file.
    A new recording (neither option) is created with ``O_EXCL``, which no link passes.
    """
    try:
        return os.open(path, flags | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.EMLINK):  # what O_NOFOLLOW says of a link (Linux, BSD)
            raise
    fd = os.open(path, flags & ~(os.O_CREAT | os.O_TRUNC | os.O_EXCL))
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RecordingError(
            f"{path} is a symbolic link to a file; refusing to write through it: record to the file's own path"
        )
    return fd


def _version(format: str) -> int | None:
    """``"v2"`` -> 2, ``"v3"`` -> 3 (``"2"``, ``"3"`` too); None for a format record does not write."""
    digits = format.strip().lower().removeprefix("v")
    return int(digits) if digits.isdigit() and int(digits) in WRITABLE else None


def _advice(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some disk space or record to another disk"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "record to a file you may write (record:path=...)"
    return "check the disk and the path, then record again"


class RecordDisplay(FrameDisplay):
    """Records the stream to ``path`` as asciicast v2 (``asciinema play`` plays it), or v3 with
    ``format="v3"`` (asciinema 3's own format). A terminal program's cursor is recorded too.

    ``title`` and ``idle_time_limit`` go into the header (asciinema players cut
    pauses longer than ``idle_time_limit`` seconds). An existing file is an error
    unless ``overwrite=True`` (start afresh) or ``append=True`` (add events that
    continue its timeline from its last event; its header's size must be the
    stream's, its version the ``format``). ``queue_frames`` bounds the frames
    waiting for the disk.
    """

    #: How long cleanup() waits for the writer to drain the queue to disk.
    close_timeout = 30.0

    def __init__(
        self,
        path: str = "",
        title: str | None = None,
        idle_time_limit: float | None = None,
        append: bool = False,
        overwrite: bool = False,
        queue_frames: int = 1024,
        format: str = "v2",
    ) -> None:
        super().__init__()
        if not path:
            raise RecordingError("record needs a file: --display record:path=FILE.cast")
        self.path = Path(path)
        self.title = title
        self.idle_time_limit = idle_time_limit
        self.append = append
        self.overwrite = overwrite
        version = _version(format)
        if version is None:
            raise RecordingError(
                f"record {self.path}: format={format!r} is not a format record writes; "
                f"choose {' or '.join(f'v{v}' for v in WRITABLE)}"
            )
        #: The asciicast version written: 2 or 3.
        self.version = version
        if append and overwrite:
            raise RecordingError(f"record {self.path}: choose append=true or overwrite=true, not both")
        if idle_time_limit is not None and not idle_time_limit > 0:
            raise RecordingError(f"record {self.path}: idle_time_limit={idle_time_limit} must be seconds > 0")
        if queue_frames < 1:
            raise RecordingError(f"record {self.path}: queue_frames={queue_frames} must be at least 1")
        if self.path.is_dir():
            raise RecordingError(
                f"{self.path} is a directory; give a file name: record:path={self.path}/out.cast"
            )
        if not self.path.parent.is_dir():
            raise RecordingError(
                f"cannot record to {self.path}: directory {self.path.parent} does not exist; create it first"
            )
        if self.path.exists() and not (append or overwrite):
            raise RecordingError(
                f"{self.path} already exists; pass record:overwrite=true to replace it or record:append=true to add to it"
            )
        self.queue_frames = queue_frames
        self.frames_recorded = 0
        self._events: LosslessQueue[_Event] = LosslessQueue(queue_frames)
        self._fd: int | None = None
        self._encoder: CastEncoder | None = None
        self._writer: threading.Thread | None = None

    # -- FrameDisplay -----------------------------------------------------------
    def start(self) -> None:
        self._fd, self._encoder = self._open()
        self._writer = threading.Thread(
            target=self._write_events, name=f"glyphcast-record {self.path}", daemon=True
        )
        self._writer.start()
        # An engine that forgets cleanup() at exit still gets a complete file.
        atexit.register(self.cleanup)

    def deliver(self, frame: Frame) -> None:
        self._put(frame)

    def resize(self, width: int, height: int) -> None:
        self._put(_Resize(width, height, time.time()))

    def clear(self) -> None:
        self.raise_failure()
        if self.started and not self.closed:
            self._put(_Clear(time.time()))

    def marker(self, label: str) -> None:
        """Write an ``m`` event: a chapter mark asciinema-player shows on its timeline."""
        self.raise_failure()
        if not self.closed:
            self._put(_Marker(label, time.time()))

    def stop(self) -> None:
        atexit.unregister(self.cleanup)
        # The writer still writes every event queued so far, then closes the file.
        self._events.close()
        writer = self._writer
        if writer is None:
            return
        writer.join(self.close_timeout)
        if writer.is_alive():
            log.error(
                "recording %s: the disk took more than %.0f s to take the last %d events; the file may end early",
                self.path,
                self.close_timeout,
                len(self._events),
            )

    @property
    def waits(self) -> int:
        """How many times ``show()`` waited for the disk (the queue was full)."""
        return self._events.waits

    @property
    def wait_seconds(self) -> float:
        """How long ``show()`` waited for the disk in total."""
        return self._events.wait_seconds

    def status(self) -> str:
        return (
            f"recording {self.path}: {self.frames_recorded} frames written, "
            f"queue {len(self._events)}/{self.queue_frames}, "
            f"show() waited for the disk {self.waits} times ({self.wait_seconds:.2f} s)"
        )

    # -- the engine's side ----------------------------------------------------------
    def _put(self, event: _Event) -> None:
        """Queue ``event``; when the disk is a whole queue behind, wait rather than lose it."""
        if not self._events.put(event):
            # Refused: the writer failed (raise its error now) or the recording was closed.
            self.raise_failure()

    # -- the writer's side ----------------------------------------------------------
    def _open(self) -> tuple[int, CastEncoder]:
        """Open the file and write the header (or prepare to append); errors name the path."""
        now = time.time()
        path = self.path
        try:
            if self.append and path.exists() and path.stat().st_size > 0:
                return self._open_for_append(now)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if self.overwrite or self.append else os.O_EXCL)
            fd = _open_unfollowed(path, flags)
            try:
                header = header_line(
                    self.width, self.height, int(now), self.title, self.idle_time_limit, self.version
                )
                self._write_all(fd, header.encode())
            except OSError:
                os.close(fd)
                raise
        except FileExistsError:
            raise RecordingError(
                f"{path} already exists; pass record:overwrite=true to replace it or record:append=true to add to it"
            ) from None
        except OSError as error:
            raise RecordingError(f"cannot record to {path}: {error.strerror}; {_advice(error)}") from None
        return fd, CastEncoder(self.width, self.height, start=now, version=self.version)

    def _open_for_append(self, now: float) -> tuple[int, CastEncoder]:
        path = self.path
        raw = path.read_bytes()
        try:
            recording = parse(raw.decode("utf-8", errors="replace"), str(path))
        except AsciicastError as error:
            raise RecordingError(f"cannot append: {error}") from None
        header = recording.header
        if header.version != self.version:
            hint = (
                f"pass record:format=v{header.version}"
                if header.version in WRITABLE
                else "record to a new file"
            )
            raise RecordingError(
                f"cannot append to {path}: it is asciicast v{header.version} and this recording is "
                f"v{self.version}; {hint}"
            )
        if (header.width, header.height) != (self.width, self.height):
            raise RecordingError(
                f"cannot append to {path}: it is {header.width}x{header.height} and the stream is "
                f"{self.width}x{self.height}; record to a new file or pass record:overwrite=true"
            )
        keep = len(raw)
        if recording.torn_line is not None:
            # Cut the torn line a crash left, or the new events would extend it into garbage.
            keep = sum(len(line) + 1 for line in raw.split(b"\n")[: recording.torn_line - 1])
            log.warning("%s:%d: dropped an incomplete last line before appending", path, recording.torn_line)
        fd = _open_unfollowed(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, keep)
            os.lseek(fd, keep, os.SEEK_SET)
            if keep and raw[keep - 1 : keep] != b"\n":
                self._write_all(fd, b"\n")
        except OSError:
            os.close(fd)
            raise
        width, height = recording.size
        return fd, CastEncoder(width, height, start=now, offset=recording.duration, version=self.version)

    @staticmethod
    def _write_all(fd: int, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]

    def _encode(self, item: _Event) -> str:
        encoder = self._encoder
        assert encoder is not None
        if isinstance(item, Frame):
            self.frames_recorded += 1
            return encoder.frame(item)
        if isinstance(item, _Resize):
            return encoder.resize(item.width, item.height, item.wall)
        if isinstance(item, _Clear):
            return encoder.clear(item.wall)
        if isinstance(item, _Marker):
            return encoder.marker(item.label, item.wall)
        raise TypeError(f"unexpected event {item!r}")

    def _write_events(self) -> None:
        fd = self._fd
        assert fd is not None
        events = self._events
        pending = bytearray()
        flushed_at = time.monotonic()
        try:
            while True:
                timeout = max(0.0, FLUSH_INTERVAL - (time.monotonic() - flushed_at)) if pending else None
                item = events.take(timeout)
                if item is None and events.drained:
                    break  # closed, and every event handed over is in ``pending``
                if item is not None:
                    pending += self._encode(item).encode()
                if pending and (
                    len(events) == 0
                    or len(pending) >= FLUSH_BYTES
                    or time.monotonic() - flushed_at >= FLUSH_INTERVAL
                ):
                    self._write_all(fd, pending)
                    pending.clear()
                    flushed_at = time.monotonic()
            self._write_all(fd, pending)
            self._sync(fd)
        except OSError as error:
            self._writer_failed(error)
        finally:
            self._fd = None
            try:
                os.close(fd)
            except OSError as error:
                log.error("recording %s: closing the file failed: %s", self.path, error.strerror)

    def _sync(self, fd: int) -> None:
        """fsync, so a power cut after a clean close loses nothing either."""
        try:
            os.fsync(fd)
        except OSError as error:
            # A pipe or a terminal (record:path=/dev/stdout) cannot be synced, and has nothing to lose.
            if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):
                raise
            log.debug("recording %s: fsync is not supported here (%s)", self.path, error.strerror)

    def _writer_failed(self, error: OSError) -> None:
        name = errno.errorcode.get(error.errno or 0, "error")
        message = (
            f"recording to {self.path} stopped: {error.strerror} ({name}); {_advice(error)}; "
            f"the file keeps every event written before the failure"
        )
        log.error("%s", message)
        self.fail(RecordingError(message))
        # Free the frames still queued: nothing will write them, and a show() waiting
        # for room raises the failure (recorded first, above) instead of waiting forever.
        self._events.abandon()
