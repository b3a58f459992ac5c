"""Configuration classes, read from the environment with safe development defaults."""

import os
from datetime import timedelta
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
    # Stored files (uploads, quotation PDFs, spec sheets, profiles, brochures; catalogue/lib/
    # storage.py): under STORAGE_DIR, or with STORAGE_URL ("s3://bucket" or "s3://bucket/prefix")
    # in S3-compatible object storage that every machine shares. S3_ENDPOINT_URL names a server
    # other than Amazon's; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    # STORAGE_DIR also holds this machine's PDF render locks.
    STORAGE_DIR = _env_path("STORAGE_DIR", INSTANCE_DIR)
    STORAGE_URL = os.environ.get("STORAGE_URL") or None
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    MAIL_OUTBOX_DIR = _env_path("MAIL_OUTBOX_DIR", INSTANCE_DIR / "outbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"  # STARTTLS when offered
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "CAC Medical Supplies <noreply@cac-supplies.invalid>"
    )
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # Without MAIL_SERVER, mail is written to MAIL_OUTBOX_DIR as .eml files (readable by the app's
    # user only), deleted after this many days.
    MAIL_OUTBOX_RETENTION_DAYS = int(os.environ.get("MAIL_OUTBOX_RETENTION_DAYS", "7"))
    # Without REDIS_URL each app process delivers the outbox in a background thread unless this is
    # "0" (then run `flask mail deliver` as its own process); with REDIS_URL `flask worker` does.
    MAIL_DELIVERY_THREAD = os.environ.get("MAIL_DELIVERY_THREAD", "1") == "1"
    # Limits hold across workers and restarts: in Redis when REDIS_URL is set (shared by every
    # machine), otherwise in a SQLite file that the workers of this machine share
    # (catalogue/lib/ratelimits.py).
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or f"sqlite://{INSTANCE_DIR.resolve() / 'ratelimits.sqlite3'}"
    )
    # Everything this site keeps in Redis (limits, cached pages, job queues) is named under this
    # prefix, so sites can share one Redis.
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "cac")
    RATELIMIT_HEADERS_ENABLED = True
    # Only the load test (bench/load.py) switches the limits off, to submit many inquiries.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    REGISTER_RATE_LIMIT = "5 per minute;20 per hour"
    # Counted in inquiries: a form counts once per manufacturer it goes to (at most 10).
    INQUIRY_RATE_LIMIT = "10 per hour;30 per day"
    PASSWORD_RESET_HOURS = 2
    EMAIL_CONFIRMATION_DAYS = 7
    # A maker's private link to answer an e-mailed inquiry without an account lasts this long
    # after the latest e-mail that carries it.
    MAKER_LINK_DAYS = int(os.environ.get("MAKER_LINK_DAYS", "30"))
    # Inquiries without a first response after this many business days are flagged to staff
    # (dashboard and a daily digest) and their maker is reminded once.
    INQUIRY_ESCALATION_BUSINESS_DAYS = int(os.environ.get("INQUIRY_ESCALATION_BUSINESS_DAYS", "2"))
    # Those checks run every INQUIRY_JOBS_INTERVAL seconds: in `flask worker` with REDIS_URL,
    # otherwise in a background thread of each app process unless this is "0" (then run
    # `flask inquiries escalate` from cron).
    INQUIRY_JOBS_THREAD = os.environ.get("INQUIRY_JOBS_THREAD", "1") == "1"
    INQUIRY_JOBS_INTERVAL = int(os.environ.get("INQUIRY_JOBS_INTERVAL", "600"))
    # Makers are reminded 30 and 7 days before an approval's valid-until date, checked every
    # APPROVAL_REMINDERS_INTERVAL seconds: in `flask worker` with REDIS_URL, otherwise in a
    # background thread of each app process unless this is "0" (then run
    # `flask supplies remind-expiry` daily from cron).
    APPROVAL_REMINDERS_THREAD = os.environ.get("APPROVAL_REMINDERS_THREAD", "1") == "1"
    APPROVAL_REMINDERS_INTERVAL = int(os.environ.get("APPROVAL_REMINDERS_INTERVAL", "3600"))
    # Page views are counted in memory and written by a background thread every this many
    # seconds (and at exit), so a busy database never delays a page; 0: only flush_views().
    VIEW_COUNTS_FLUSH_SECONDS = float(os.environ.get("VIEW_COUNTS_FLUSH_SECONDS", "30"))
    # Where the staff desk's mail goes (inquiries without a route, the digest); by default to
    # every active staff account.
    STAFF_DESK_EMAIL = os.environ.get("STAFF_DESK_EMAIL")
    INVITATION_DAYS = 7
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024  # uploads above 10 MB get a clear message, not a 413

    # PDF exports: brochure files are kept this many days, then deleted by a periodic clean-up
    # (in `flask worker` with REDIS_URL, otherwise in a thread of each app process unless
    # EXPORT_CLEANUP_THREAD is "0"; then run `flask exports cleanup` from cron).
    EXPORT_RETENTION_DAYS = int(os.environ.get("EXPORT_RETENTION_DAYS", "7"))
    EXPORT_CLEANUP_THREAD = os.environ.get("EXPORT_CLEANUP_THREAD", "1") == "1"
    # Background jobs (catalogue/lib/jobs.py): with REDIS_URL they go to RQ queues served by
    # `flask worker`, which also runs the periodic jobs, and web processes run none; without it
    # each app process runs them in threads.
    REDIS_URL = os.environ.get("REDIS_URL")
    JOBS_SYNC = False
    # Spec sheets and profiles render in this many background processes per app process, each
    # render killed after PDF_RENDER_TIMEOUT seconds; a request waits at most PDF_RENDER_WAIT
    # seconds for one, then gets a 503 with Retry-After while it goes on (exports/pdfcache.py).
    PDF_RENDER_PROCESSES = int(os.environ.get("PDF_RENDER_PROCESSES", "1"))
    PDF_RENDER_WAIT = float(os.environ.get("PDF_RENDER_WAIT", "5"))
    PDF_RENDER_TIMEOUT = float(os.environ.get("PDF_RENDER_TIMEOUT", "30"))
    # Every PDF_PRERENDER_INTERVAL seconds, the spec sheets and profiles whose content changed are
    # rendered ahead of visitors: by `flask worker` with REDIS_URL, otherwise by a thread of each
    # app process unless PDF_PRERENDER_THREAD is "0".
    PDF_PRERENDER_INTERVAL = float(os.environ.get("PDF_PRERENDER_INTERVAL", "30"))
    PDF_PRERENDER_THREAD = os.environ.get("PDF_PRERENDER_THREAD", "1") == "1"

    SITE_NAME = "CAC Medical Supplies Export Portal"
    # Who runs this instance, as the About, Contact and Privacy pages state it; unset, they say
    # the operator's details are not published here (never a made-up name or address).
    OPERATOR_NAME = os.environ.get("OPERATOR_NAME") or None
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL") or None
    CONTACT_ADDRESS = os.environ.get("CONTACT_ADDRESS") or None
    # The public address of the site (e.g. https://supplies.example): every absolute link (e-mails,
    # PDFs, QR codes, API, data packages) is built from it, never from a request's Host; requests
    # naming another host get a 400; cookies are Secure when it is https. Production refuses to
    # start without it. EXTRA_TRUSTED_HOSTS: other host names to answer to (comma-separated).
    SITE_URL = os.environ.get("SITE_URL")
    EXTRA_TRUSTED_HOSTS = os.environ.get("EXTRA_TRUSTED_HOSTS", "").replace(",", " ").split()
    # The number of proxies in front of the app (nginx: 1). Each appends the address it got the
    # request from to X-Forwarded-For; the app takes the client's address (rate limits, logs) and
    # scheme from the right-most that many entries, which a client cannot forge. 0: the socket's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PRODUCTS_PER_PAGE = 20
    # Public catalogue pages kept for anonymous visitors (0 switches the cache off): in Redis when
    # REDIS_URL is set (one cache for every process and machine), otherwise this many per process.
    PAGE_CACHE_SIZE = int(os.environ.get("PAGE_CACHE_SIZE", "500"))
    PAGE_CACHE_SECONDS = 300
    BOOTSTRAP_SERVE_LOCAL = True
    # A form's CSRF token works for a working day (and is new at every sign-in and sign-out).
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # "Keep me signed in" lasts this long; no sign-in, remembered or not, is accepted for longer.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "text/csv", "text/plain", "application/javascript",
        "text/javascript", "application/json", "image/svg+xml",
    ]  # fmt: skip


class DevelopmentConfig(Config):
    # A fixed key only for local development; production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    # `flask run`'s address; links never take their host from the request, even here.
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only"  # noqa: S105 (the test suite's own key)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    MAIL_DELIVERY_THREAD = False
    INQUIRY_JOBS_THREAD = False
    APPROVAL_REMINDERS_THREAD = False
    EXPORT_CLEANUP_THREAD = False
    PDF_PRERENDER_THREAD = False
    VIEW_COUNTS_FLUSH_SECONDS = 0  # tests call flush_views() themselves
    RATELIMIT_ENABLED = False  # the rate-limit tests switch it on
    RATELIMIT_STORAGE_URI = "memory://"  # never the instance folder's file
    REDIS_URL = None  # no Redis unless a test asks for it (then with a prefix of its own)
    SITE_URL = "http://localhost"
    # Background jobs run inside the request, so nothing is left running when a test ends.
    JOBS_SYNC = True
    PDF_RENDER_PROCESSES = 0  # PDFs render in the request's thread (unless a test says so)
    # Cheap hashing for tests; the other configs use scrypt at its default cost.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 (a method name, not a password)


class ProductionConfig(Config):
    # SITE_URL is required; Secure cookies follow its scheme (catalogue/lib/urls.py), so the
    # production configuration also serves a plain http://127.0.0.1 address (`make run`).
    pass


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
