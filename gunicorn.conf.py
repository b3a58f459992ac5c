"""gunicorn settings of `make run` (gunicorn reads this file from the working directory).

Slow clients: gunicorn's sync workers read each request in the worker itself, so two clients
that send half a request stall two workers until the worker timeout kills them; its threaded
workers (gthread) hand a connection to a thread as soon as any byte arrives, and that thread
then waits for the rest without any time limit. `BufferingThreadWorker` below is gthread
whose event loop gathers each request's head (and a form-sized body) without blocking; a
thread only gets a request that has fully arrived, and a client that has not sent it within
REQUEST_READ_TIMEOUT seconds is disconnected. Uploads larger than BUFFERED_BODY are read by
the thread, as in gthread. (issue 14, item 4; tests/server/test_make_run_server.py)
"""

import errno
import os
import re
import selectors
import time
from collections import deque
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

REQUEST_READ_TIMEOUT = 30.0  # seconds for a request's head and buffered body to arrive
BUFFERED_BODY = 64 * 1024  # bodies up to this size (every form but uploads) arrive first
_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*([0-9]+)[ \t]*\r?$", re.I | re.M)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding[ \t]*:", re.I | re.M)


class BufferingThreadWorker(ThreadWorker):
    """gthread, with each request gathered by the event loop before a thread takes it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading: deque[TConn] = deque()  # in deadline order: all wait the same time
        # TLS and the uwsgi protocol are read by the thread, as in gthread.
        self.gathers = not self.cfg.is_ssl and self.cfg.protocol == "http"
        cfg = self.cfg
        line = cfg.limit_request_line or 8190
        fields = cfg.limit_request_fields or 100
        field = cfg.limit_request_field_size or 8190
        # A head longer than this breaks gunicorn's limits: the parser answers it with a 4xx.
        self.max_head = line + fields * (field + 2) + 4

    def accept(self, listener):
        if not self.gathers:
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        self._gather(TConn(self.cfg, client, address, listener.getsockname()), b"")

    def on_client_socket_readable(self, conn, client):
        # A kept-alive connection's next request is gathered the same way.
        if not self.gathers:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._gather(conn, b"")

    def finish_request(self, conn, fs):
        # Bytes of a next (pipelined) request read along with this one: gathered too.
        if (
            self.gathers
            and self.alive
            and not fs.cancelled()
            and fs.exception() is None
            and fs.result() is True
            and not conn.is_http2
        ):
            leftover = conn.parser.unreader.take_buffered()
            if leftover:
                self._gather(conn, leftover)
                return
        super().finish_request(conn, fs)

    def handle(self, conn):
        gathered = getattr(conn, "gathered", None)
        if gathered is not None:
            conn.gathered = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(bytes(gathered))
        return super().handle(conn)

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].timeout <= now:
            self._drop(self.reading[0])

    def _gather(self, conn, received: bytes) -> None:
        conn.sock.setblocking(False)
        conn.gathered = bytearray(received)
        conn.timeout = time.monotonic() + REQUEST_READ_TIMEOUT
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        if received and self._arrived(conn.gathered):
            self._dispatch(conn)

    def _on_readable(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # closed before sending a whole request
            self._drop(conn)
            return
        conn.gathered += data
        if self._arrived(conn.gathered):
            self._dispatch(conn)

    def _arrived(self, data: bytearray) -> bool:
        """Whether a thread can read this request without waiting on the client."""
        end = data.find(_HEAD_END)
        if end < 0:
            return len(data) > self.max_head
        head = bytes(data[:end])
        lengths = _CONTENT_LENGTH.findall(head)
        if _TRANSFER_ENCODING.search(head) or len(lengths) != 1:
            return True  # no body, a chunked one (the thread reads it) or a malformed head
        length = int(lengths[0])
        return length > BUFFERED_BODY or len(data) - end - len(_HEAD_END) >= length

    def _dispatch(self, conn) -> None:
        self.reading.remove(conn)
        self.poller.unregister(conn.sock)
        conn.data_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn) -> None:
        self.reading.remove(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        conn.close()


workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = BufferingThreadWorker
threads = 4  # requests each worker serves at once; a slow client holds none of them
timeout = 30  # a worker whose event loop stops answering this long is restarted
graceful_timeout = 20  # on restart or stop, the time requests in progress get to finish
keepalive = 5  # seconds an idle kept-alive connection stays open
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Each line starts with the client's address as the app sees it: with TRUSTED_PROXIES set, the
# app's ProxyFix rewrites REMOTE_ADDR in the request's environ, the one this log reads afterwards.
accesslog = "-"
# No control socket: its default path is one per user ($HOME/.gunicorn), which a second server of
# the same user (another checkout, the tests) would take over.
control_socket_disable = True
