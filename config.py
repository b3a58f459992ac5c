"""Configuration classes, read from the environment with safe development defaults."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _env_path(name: str, default: Path) -> str:
    return str(Path(os.environ.get(name, default)))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'catalogue.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SEARCH_INDEX_DIR = _env_path("SEARCH_INDEX_DIR", INSTANCE_DIR / "search-index")
    SEARCH_INDEXER = os.environ.get("SEARCH_INDEXER", "1") != "0"  # background thread per process
    SEARCH_INDEX_INTERVAL = float(os.environ.get("SEARCH_INDEX_INTERVAL", "1.0"))  # seconds
    SEARCH_CHANGE_RETENTION_DAYS = int(os.environ.get("SEARCH_CHANGE_RETENTION_DAYS", "7"))
    EXPORT_DIR = _env_path("EXPORT_DIR", INSTANCE_DIR / "exports")
    UPLOAD_DIR = _env_path("UPLOAD_DIR", INSTANCE_DIR / "uploads")
    MAIL_OUTBOX_DIR = _env_path("MAIL_OUTBOX_DIR", INSTANCE_DIR / "outbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "CAC Medical Supplies <noreply@localhost>"
    )

    SITE_NAME = "CAC Medical Supplies Export Portal"
    PRODUCTS_PER_PAGE = 20
    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = 3600


class DevelopmentConfig(Config):
    # A fixed key only for local development; production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only"  # noqa: S105 (the test suite's own key)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    # Cheap hashing for tests; the other configs use scrypt at its default cost.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 (a method name, not a password)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
