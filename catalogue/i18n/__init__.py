"""The interface languages: which one a request is served in, and what pages need to say so.

A page's language is, in order: the `lang` argument of its address (the hreflang alternates link
to those), the visitor's own choice (the `lang` cookie the switcher sets, which sign-in copies to
the account), the account's choice on a device without the cookie, then the browser's
Accept-Language, else English. Facts (product, company and approval names, figures as worded)
are never translated: only the interface is, from the catalogues in catalogue/translations/.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import Babel, get_locale, gettext, refresh
from flask_login import current_user, user_logged_in

# Code -> the language's own name (what a reader looks for in the switcher).
LANGUAGES = {
    "en": "English",
    "ko": "한국어",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文（简体）",
    "ru": "Русский",
}
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = {"ar"}
# Machine-readable answers (the API, open data files, CSV downloads) are in English whatever
# the reader's language: their values are compared and parsed by programs.
ENGLISH_ONLY_BLUEPRINTS = {"api"}
ENGLISH_ONLY_SUFFIXES = (".csv", ".json")
# BCP 47 tags for <html lang> and hreflang, where they say more than the catalogue's code.
LANGUAGE_TAGS = {"zh": "zh-Hans"}
COOKIE_NAME = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def N_(message: str) -> str:  # noqa: N802  (the name pybabel extract looks for)
    """Mark a message for the catalogues and keep it English here: where the English text is
    needed too (open data, stored values), pages show gettext(message)."""
    return message


def known_language(code: str | None) -> str | None:
    """The catalogue code for `code` ("fr", "fr-CA", "zh-Hans-CN" -> "zh"), or None."""
    if not code:
        return None
    code = code.strip().replace("_", "-").lower()
    if code in LANGUAGES:
        return code
    primary = code.split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def _english_only() -> bool:
    return request.blueprint in ENGLISH_ONLY_BLUEPRINTS or request.path.endswith(
        ENGLISH_ONLY_SUFFIXES
    )


def select_language() -> str:
    """The language of this request (see the module's docstring for the order)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # mails and jobs name theirs with force_locale
    if request.blueprint in ENGLISH_ONLY_BLUEPRINTS or request.path.endswith(ENGLISH_ONLY_SUFFIXES):
        return DEFAULT_LANGUAGE
    chosen = known_language(request.args.get(COOKIE_NAME)) or known_language(
        request.cookies.get(COOKIE_NAME)
    )
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        account_choice = known_language(getattr(current_user, "language", None))
        if account_choice:
            return account_choice
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)


# The portal's name as config.py gives it by default, in each language's catalogue.
DEFAULT_SITE_NAME = N_("CAC Medical Supplies Export Portal")


def site_name() -> str:
    """The portal's name in the reader's language (a SITE_NAME set for a deployment as set)."""
    name = current_app.config["SITE_NAME"]
    return gettext(name) if name == DEFAULT_SITE_NAME else name


def remember_language(response, code: str) -> None:
    """Set the visitor's `lang` cookie on `response`: their choice only, nothing that tracks."""
    response.set_cookie(
        COOKIE_NAME,
        code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_tag(code: str) -> str:
    return LANGUAGE_TAGS.get(code, code)


def text_direction(code: str) -> str:
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"


def language_alternates() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of this page in each language, for <link rel="alternate">: the
    page's own address (from SITE_URL) with its query, `lang` set or, for x-default, left out."""
    endpoint, view_args = request.endpoint, request.view_args
    if endpoint is None or view_args is None:
        return []
    page = url_for(endpoint, _external=True, **view_args)
    query = [(k, v) for k, v in request.args.items(multi=True) if k != COOKIE_NAME]
    links = [
        (language_tag(code), _with_query(page, [*query, (COOKIE_NAME, code)])) for code in LANGUAGES
    ]
    links.append(("x-default", _with_query(page, query)))
    return links


def _with_query(url: str, query: list[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_language)
    # Multi-line {% trans %} blocks are one message with their whitespace folded.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    from catalogue.i18n import formats, views
    from catalogue.lib.pagecache import add_version

    app.register_blueprint(views.bp)
    formats.register(app)
    # A kept page is one language's page.
    add_version(current_language)

    @app.before_request
    def choose_language_afresh():
        # Flask-Babel keeps the locale in `g`, which outlives a request where an app context
        # was already pushed (tests, jobs): each request decides its own.
        refresh()

    @app.context_processor
    def language_context():
        code = current_language()
        return {
            "page_language": code,
            "page_language_tag": language_tag(code),
            "page_direction": text_direction(code),
            # For links to what carries words but is fetched on its own (chart images, PDFs).
            "page_lang_arg": None if code == DEFAULT_LANGUAGE else code,
            "interface_languages": LANGUAGES,
            "language_alternates": language_alternates,
            "site_name": site_name,
        }

    @app.after_request
    def vary_by_language(response):
        # Shared caches must not hand one reader's language to another (pages, suggestions,
        # feeds, PDFs); what is the same for everyone (API, data files, CSS, scripts) does not.
        endpoint = request.endpoint or ""
        if not _english_only() and endpoint != "static" and not endpoint.endswith(".static"):
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

    @user_logged_in.connect_via(app)
    def keep_choice_on_account(_app, user, **_extra):
        # The language chosen before signing in stays: the account remembers it from now on
        # (and writes its mail in it). An officer who chose none keeps the one they read now;
        # makers and staff who chose none keep none: their pages follow their browser, their
        # mail is Korean (mail/services.py).
        chosen = known_language(request.cookies.get(COOKIE_NAME))
        if chosen is None and user.language is None and user.role == "officer":
            chosen = current_language()
        if chosen and user.language != chosen:
            user.language = chosen
