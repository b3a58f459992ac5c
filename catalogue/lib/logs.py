"""Logging for the processes that run the app; set up by their entry point, never by create_app."""

import logging


def configure_logging() -> None:
    """INFO and above to stderr. Does nothing if the process already configured logging
    (pytest, an embedding program), so it never overrides their handlers."""
    logging.basicConfig(level=logging.INFO)
    # WeasyPrint logs every step of every render at INFO: noise in a server's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
