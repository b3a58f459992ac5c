"""Logging for the processes that run the app; set up by their entry point, never by create_app."""

import logging
from typing import TextIO

from flask import has_request_context, request

# Python's default layout, plus the client a line was logged for while serving a request.
LOG_FORMAT = "%(levelname)s:%(name)s:%(message)s%(client)s"


class ClientAddress(logging.Filter):
    """Adds " [client <address>]" to lines logged while serving a request: the address the app
    sees, which is the real client's behind TRUSTED_PROXIES proxies (never one it forged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        address = request.remote_addr if has_request_context() else None
        record.client = f" [client {address}]" if address else ""
        return True


def log_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing the app's log lines to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ClientAddress())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def configure_logging() -> None:
    """INFO and above to stderr. Does nothing if the process already configured logging
    (pytest, an embedding program), so it never overrides their handlers."""
    logging.basicConfig(level=logging.INFO, handlers=[log_handler()])
    # WeasyPrint logs every step of every render at INFO: noise in a server's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
