"""A periodic job in a thread of this app process: the way periodic jobs run without REDIS_URL
(lib/jobs.py)."""

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from catalogue.extensions import db

logger = logging.getLogger(__name__)


def start_periodic_thread(
    app: Flask, name: str, work: Callable[[], object], seconds: float
) -> threading.Thread:
    """Run work() inside an app context every `seconds`, in a daemon thread, for good: a failed
    pass (a database hiccup) is logged and the next one runs as usual."""

    def run() -> None:
        while True:
            try:
                with app.app_context():
                    work()
                    db.session.remove()
            except Exception:
                logger.exception("Background pass %s failed", name)
            time.sleep(seconds)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
