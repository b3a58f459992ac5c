"""Rate-limit counters in a SQLite file, for the `limits` library behind Flask-Limiter.

All worker processes of a machine share the file, and it outlives a restart, so a limit holds
exactly whichever worker answers and whatever was restarted (issue 14, item 4). With
`REDIS_URL` the counters live in Redis instead, shared by every machine (config.py).

URI: `sqlite:///ABSOLUTE/PATH/ratelimits.sqlite3`. Only the fixed-window strategy (Flask-Limiter's
default) is implemented: each counter is one row, incremented by a single atomic statement.
"""

import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from limits.storage import Storage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
)
"""
# A counter whose window has passed starts again from this hit.
_INCREMENT = """
INSERT INTO rate_limits (key, count, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END,
    expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
RETURNING count
"""
_PRUNE_SECONDS = 60.0


class SQLiteFileStorage(Storage):
    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path("/" + uri.split("://", 1)[1].lstrip("/"))
        self._ready_in: int | None = None  # the process that made sure the table exists
        self._pruned_at = 0.0
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        # A connection per call: cheap for SQLite, and safe across gunicorn's fork and threads.
        # The timeout makes concurrent writers wait their turn instead of failing.
        if self._ready_in != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if self._ready_in != os.getpid():
            with self._lock:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
                self._ready_in = os.getpid()
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with closing(self._connect()) as connection:
            (count,) = connection.execute(
                _INCREMENT, {"key": key, "amount": amount, "now": now, "expiry": expiry}
            ).fetchone()
            if now - self._pruned_at > _PRUNE_SECONDS:
                self._pruned_at = now
                connection.execute("DELETE FROM rate_limits WHERE expires_at <= ?", (now,))
        return int(count)

    def _live(self, key: str) -> tuple[int, float] | None:
        """(count, expires_at) of a window that has not ended yet."""
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT count, expires_at FROM rate_limits WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            ).fetchone()
        return (int(row[0]), float(row[1])) if row else None

    def get(self, key: str) -> int:
        live = self._live(key)
        return live[0] if live else 0

    def get_expiry(self, key: str) -> float:
        live = self._live(key)
        return live[1] if live else time.time()

    def check(self) -> bool:
        try:
            with closing(self._connect()) as connection:
                connection.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        with closing(self._connect()) as connection:
            return connection.execute("DELETE FROM rate_limits").rowcount

    def clear(self, key: str) -> None:
        with closing(self._connect()) as connection:
            connection.execute("DELETE FROM rate_limits WHERE key = ?", (key,))
