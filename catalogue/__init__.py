"""The CAC Medical Supplies Export Portal application factory."""

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from catalogue import i18n
from catalogue.extensions import bootstrap, compress, csrf, db, limiter, login_manager, migrate
from catalogue.lib.storage import check_config as check_storage_config
from catalogue.lib.urls import SiteFlask, configure_site

ROOT = Path(__file__).resolve().parent.parent
# C0 controls and DEL: no slug or token has one, and PostgreSQL refuses NUL in text.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def create_app(config=None, overrides: dict | None = None) -> Flask:
    """Build the app from a config name ("development", "testing", "production"), class or None."""
    # SiteFlask: every absolute URL comes from SITE_URL, never from the request (lib/urls.py).
    app = SiteFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(_config_class(config))
    if overrides:
        app.config.update(overrides)
    _check_config(app)
    register_proxies(app)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_page_cache(app)
    register_security_headers(app)
    register_cli(app)
    register_background_work(app)
    register_search(app)
    return app


def _config_class(config):
    import os

    from config import CONFIGS

    if config is None:
        config = os.environ.get("FLASK_CONFIG", "development")
    if isinstance(config, str):
        try:
            return CONFIGS[config]
        except KeyError:
            raise RuntimeError(f"Unknown configuration {config!r}") from None
    return config


def _check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set (export SECRET_KEY=...) in production.")
    # SITE_URL likewise; it also decides Secure cookies and the hosts a request may name.
    configure_site(app)
    check_storage_config(app.config)  # STORAGE_URL, if set, names a bucket


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, the client's address comes from the right-most that many
    entries of X-Forwarded-For (each proxy appends one), the scheme from the nearest proxy's
    X-Forwarded-Proto (nginx sets it rather than appending); never the host, which SITE_URL
    decides (and the trusted-host check must see the real Host)."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=1, x_host=0, x_port=0, x_prefix=0
        )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    # One prefix names everything the site keeps in Redis, its rate limits included.
    app.config["RATELIMIT_KEY_PREFIX"] = app.config["REDIS_KEY_PREFIX"]
    limiter.init_app(app)
    compress.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open that page.")
    login_manager.login_message_category = "info"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _tune_sqlite)

    import catalogue.models  # noqa: F401  (every feature's tables, for relationships by name)
    from catalogue.accounts.services import user_for_session

    # Sessions and remember-me cookies carry an id per sign-in (User.get_session_id), which
    # sign-out, a password reset or deactivation make void on every device.
    login_manager.id_attribute = "get_session_id"
    login_manager.user_loader(user_for_session)


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers and a writer work together; the timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from catalogue import health
    from catalogue.accounts import views as accounts
    from catalogue.api import opendata
    from catalogue.api import views as api
    from catalogue.content import views as content
    from catalogue.exports import views as exports
    from catalogue.inquiries import views as inquiries
    from catalogue.portal import views as portal
    from catalogue.search import views as search
    from catalogue.staff import views as staff
    from catalogue.supplies import views as supplies

    blueprints = [
        m.bp
        for m in (
            content,
            supplies,
            search,
            inquiries,
            accounts,
            portal,
            staff,
            exports,
            api,
            opendata,
            health,
        )
    ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from catalogue.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from catalogue.lib.templating import register

    register(app)


def register_page_cache(app: Flask) -> None:
    from catalogue.lib.pagecache import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # No text field needs a NUL, and PostgreSQL cannot store one: refuse it up front.
        sources = [request.args] + ([request.form] if request.method == "POST" else [])
        for values in sources:
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400, description="The request contains a NUL character.")
        # Nor does any path parameter (a slug, a token): such an address names nothing.
        for value in (request.view_args or {}).values():
            if isinstance(value, str) and _CONTROL_CHARACTER.search(value):
                abort(404)

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            )
        if _is_private():
            # One person's page: no browser or proxy keeps a copy (a shared computer's back
            # button, a proxy's cache). Public pages keep their own caching headers.
            response.headers["Cache-Control"] = "no-store"
        return response


# Pages of one person even without signing in: tracking and reply links, the filing receipt.
_PRIVATE_PATHS = (
    "/account/", "/portal/", "/staff/", "/inquiry/track/", "/inquiry/respond/", "/inquiry/sent",
)  # fmt: skip


def _is_private() -> bool:
    from flask_login import current_user

    if (request.endpoint or "").rsplit(".", 1)[-1] == "static":
        return False  # the same files for everyone
    return request.path.startswith(_PRIVATE_PATHS) or current_user.is_authenticated


def register_background_work(app: Flask) -> None:
    """The periodic jobs of every feature, declared in its tasks.py; how they run (threads of
    this process, or `flask worker` with REDIS_URL) is lib/jobs.py's."""
    from catalogue.exports import tasks as exports
    from catalogue.inquiries import tasks as inquiries
    from catalogue.lib import jobs
    from catalogue.mail import tasks as mail
    from catalogue.supplies import tasks as supplies

    jobs.init_app(app, [*mail.PERIODIC, *inquiries.PERIODIC, *supplies.PERIODIC, *exports.PERIODIC])


def register_search(app: Flask) -> None:
    from catalogue.search.indexer import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from catalogue.cli import register

    register(app)
