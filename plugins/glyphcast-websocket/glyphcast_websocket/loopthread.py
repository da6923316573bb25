"""An event loop on a thread of its own: start it, call into it from any thread, stop it.

The hub's server runs here so that a display's ``show()`` only ever hands a
frame over: the engine's thread never runs I/O.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from glyphcast.clock import SystemClock, Timer

from glyphcast_websocket.listener import ListeningLoop

log = logging.getLogger("glyphcast.websocket")

T = TypeVar("T")

STOP_TIMEOUT = 2.0


def new_loop() -> ListeningLoop:
    """uvloop's loop when it is installed (glyphcast-websocket[speed]), else asyncio's; either one
    a :class:`~.listener.ListeningLoop`, so the hub can serve through its own listener."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        base: type[asyncio.AbstractEventLoop] = asyncio.SelectorEventLoop
    else:
        base = uvloop.Loop
    loop: ListeningLoop = type("HubLoop", (ListeningLoop, base), {})()
    return loop


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel tasks still pending (handshakes cut short, handlers of aborted connections) and let them end.

    A loop closed with pending tasks logs "Task was destroyed but it is pending" once per task.
    """
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class LoopClock(SystemClock):
    """Real time whose timers run on the event loop they are set from: no thread per timer.

    :meth:`call_later` must be called on a running loop (the hub's), and
    calls back there.
    """

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_later(seconds, callback)


class LoopThread:
    """Runs ``main(ready, stopped)`` on a new loop in a daemon thread named ``name``.

    ``main`` sets ``ready`` once it serves (or it fails with the error), then
    waits for ``stopped``; :meth:`stop` sets it and joins the thread.
    """

    def __init__(self, name: str, on_crash: Callable[[BaseException], None]) -> None:
        self.name = name
        self.loop: ListeningLoop | None = None
        self._on_crash = on_crash
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def start(
        self,
        main: Callable[[concurrent.futures.Future[T], asyncio.Event], Coroutine[Any, Any, None]],
        timeout: float = 10.0,
    ) -> T:
        """Start the thread and return what ``main`` set ``ready`` to (or raise its error)."""
        ready: concurrent.futures.Future[T] = concurrent.futures.Future()
        self.loop = new_loop()
        self._thread = threading.Thread(target=self._run, args=(main, ready), name=self.name, daemon=True)
        self._thread.start()
        try:
            return ready.result(timeout=timeout)
        except BaseException:
            self._thread.join(STOP_TIMEOUT)
            raise

    def _run(
        self,
        main: Callable[[concurrent.futures.Future[T], asyncio.Event], Coroutine[Any, Any, None]],
        ready: concurrent.futures.Future[T],
    ) -> None:
        loop = self.loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._stopped = asyncio.Event()
            loop.run_until_complete(main(ready, self._stopped))
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                log.exception("%s stopped with an error", self.name)
                self._on_crash(error)
        finally:
            _cancel_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on the loop soon; from any thread, never waits."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(function, *args)
            except RuntimeError:  # closed between the check and the call: the thread is stopping
                log.debug("%s: loop closed; %s dropped", self.name, getattr(function, "__name__", function))

    def stop(self) -> None:
        """Tell ``main`` to finish and join the thread (within 2 s)."""
        thread, stopped = self._thread, self._stopped
        if thread is None:
            return
        if stopped is not None:
            self.call(stopped.set)
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("%s did not stop within %.0f s", self.name, STOP_TIMEOUT)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
