"""WeasyPrint in a child process with a time limit: a runaway render is killed, not the worker.

A RenderProcess is one long-lived child (a fresh interpreter running this module, so no lock or
thread of the app process is copied into it) that imports WeasyPrint once and then renders the
HTML it is sent over a socket pair. If
a render outlives its time limit, the child is killed and the next render starts a new one; the
child also stops itself by an alarm if the app process is gone (issue 14: one spec sheet of
2,201 performance rows ran past gunicorn's timeout and took the worker with it). A child that has
rendered RENDERS_PER_PROCESS documents or grown past MAX_RSS_MB is replaced, so whatever a
library keeps per render cannot build up over a server's life.
"""

from __future__ import annotations

import logging
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from catalogue.exports.pdf import Rendered

logger = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where `catalogue` can be imported from
STARTUP_TIMEOUT = 60  # seconds for a new child to import WeasyPrint and render a first page
# The print style sheet and a Korean word: the fonts a spec sheet needs are loaded at start.
_WARM_UP_HTML = (
    '<link rel="stylesheet" href="/static/css/print.css"><h1>Warm-up</h1><p lang="ko">준비</p>'
)


# A child is retired after this many renders, or once it has grown past this (its peak RSS): the
# next render starts a fresh one (a second or two; usually in the background pre-render pass).
RENDERS_PER_PROCESS = 500
MAX_RSS_MB = 600


class RenderError(Exception):
    """The render failed, or its process died."""


class RenderTimeout(RenderError):
    """The render ran past its time limit; its process was killed."""


class RenderProcess:
    """One child process that renders HTML to PDF, one document at a time."""

    def __init__(self, static_folder: str | Path):
        self.static_folder = str(static_folder)
        self.process: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.lock = threading.Lock()  # one render at a time through the pipe
        self.renders = 0  # by the current child
        self.renders_per_process, self.max_rss_mb = RENDERS_PER_PROCESS, MAX_RSS_MB

    def render(
        self, html: str, timeout: float, on_page: Callable[[int], None] | None = None
    ) -> Rendered:
        """The PDF of `html`; RenderTimeout after `timeout` seconds (the child is killed)."""
        with self.lock:
            self._ensure_started()
            assert self.conn is not None
            try:
                self.conn.send((html, timeout, on_page is not None))
                rendered, rss_mb = self._receive(time.monotonic() + timeout, on_page)
            except RenderTimeout:
                self.kill()
                raise
            except (EOFError, OSError) as error:  # the child died (killed, out of memory)
                self.kill()
                raise RenderError(f"The render process stopped: {error!r}") from error
            self.renders += 1
            if self.renders >= self.renders_per_process or rss_mb >= self.max_rss_mb:
                logger.info(
                    "Retiring PDF render process %s after %d renders (%d MB)",
                    self.pid, self.renders, rss_mb,
                )  # fmt: skip
                self.close()
            return rendered

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _receive(self, deadline: float, on_page) -> tuple[Rendered, int]:
        assert self.conn is not None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.conn.poll(remaining):
                raise RenderTimeout("The render ran past its time limit.")
            kind, value = self.conn.recv()
            if kind == "page":
                on_page(value)
            elif kind == "done":
                data, page_count, rss_mb = value
                return Rendered(data, page_count), rss_mb
            else:
                raise RenderError(value)

    def start(self) -> None:
        """Start the child now (it takes a second or two to load WeasyPrint)."""
        with self.lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if not self._alive():
            self._start()

    def _start(self) -> None:
        self.kill()
        # A fresh interpreter running this module (not multiprocessing's "spawn", which would
        # run the app's __main__ script again in the child), joined by a socket pair.
        ours, theirs = socket.socketpair()
        with ours, theirs:
            process = subprocess.Popen(  # noqa: S603 (this module, with arguments we made)
                [sys.executable, "-m", __name__, str(theirs.fileno()), self.static_folder],
                pass_fds=[theirs.fileno()],
                cwd=_PROJECT_ROOT,
            )
            self.process, self.conn = process, Connection(ours.detach())
        if not self.conn.poll(STARTUP_TIMEOUT):
            self.kill()
            raise RenderError("The render process did not start.")
        try:
            _ready, fast_subsetting = self.conn.recv()
        except EOFError as error:
            self.kill()
            raise RenderError("The render process did not start.") from error
        self.renders = 0
        logger.info("Started PDF render process %s", process.pid)
        if not fast_subsetting:
            logger.error(
                "WeasyPrint found no libharfbuzz-subset: each PDF with Korean text will take "
                "seconds to render (install it: make system-deps)"
            )

    def _alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """Stop the child at once (a render past its time, a broken pipe)."""
        if self.process is not None and self._alive():
            self.process.kill()
            logger.warning("Killed PDF render process %s", self.process.pid)
        self.close()

    def close(self) -> None:
        """Let the child end (it stops when its end of the socket closes)."""
        if self.conn is not None:
            self.conn.close()
        if self.process is not None:
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = self.conn = None


def _serve(conn, static_folder: str) -> None:
    """The child: render each HTML it receives, until the app process closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the server
    from catalogue.exports import pdf

    pdf.render_html(_WARM_UP_HTML, static_folder)  # fonts and styles loaded before any request
    conn.send(("ready", pdf.fast_font_subsetting()))
    while True:
        try:
            html, timeout, progress = conn.recv()
        except (EOFError, OSError):
            return
        # Killed by the app process at `timeout`; the alarm is for when that process is gone.
        signal.alarm(int(timeout) + 10)
        on_page = (lambda page: conn.send(("page", page))) if progress else None
        try:
            rendered = pdf.render_html(html, static_folder, on_page=on_page)
        except Exception as error:  # reported to the app process, which logs it
            conn.send(("error", f"{type(error).__name__}: {error}"[:1000]))
        else:
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # peak, in MB
            conn.send(("done", (*rendered, rss_mb)))
        signal.alarm(0)


if __name__ == "__main__":  # the child, started by RenderProcess._start
    _serve(Connection(int(sys.argv[1])), sys.argv[2])
