"""Domain exceptions and the one error handler that renders every HTTP error in the site's style."""

import logging
from typing import NamedTuple

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, HTTPException, InternalServerError

from catalogue.extensions import db

logger = logging.getLogger(__name__)


class ErrorPage(NamedTuple):
    title: LazyString
    message: LazyString
    # Whether abort(code, description=...) may replace the message: not where the description
    # is technical (405, 429) or could leak internals (500).
    shows_description: bool = True


ERROR_PAGES = {
    400: ErrorPage(_l("Bad request"), _l("We could not understand that request.")),
    403: ErrorPage(_l("Access denied"), _l("You do not have permission to open this page.")),
    404: ErrorPage(
        _l("Page not found"),
        _l("We could not find that page. It may have moved, or the address may be mistyped."),
    ),
    405: ErrorPage(_l("Method not allowed"), _l("This page cannot be used that way."), False),
    409: ErrorPage(
        _l("Changed meanwhile"),
        _l(
            "This entry was changed by someone else meanwhile, so your change was not saved. Go "
            "back, reload the page and make your change again."
        ),
    ),
    413: ErrorPage(_l("File too large"), _l("The file you sent is larger than we accept.")),
    429: ErrorPage(
        _l("Too many requests"),
        _l("You have sent too many requests in a short time. Please wait a minute and try again."),
        False,
    ),
    500: ErrorPage(
        _l("Something went wrong"),
        _l(
            "An unexpected error happened on our side. It has been logged; please try again in a "
            "moment."
        ),
        False,
    ),
}


class ServiceError(Exception):
    """A broken business rule, reported to the user beside the field it concerns."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _discard_failed_transaction() -> None:
    """Roll back what the request left undone: after a failed flush the session refuses every
    query (PendingRollbackError) until then, and the error page asks who is signed in."""
    try:
        db.session.rollback()
    except Exception:  # the connection itself is gone: the page must still render
        logger.exception("Rollback before the error page failed")


def handle_http_error(error: HTTPException):
    _discard_failed_transaction()
    code = error.code or 500
    # What the error itself says besides its body (Allow on a 405, Retry-After, ...) stays.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        return jsonify(error=error.name, message=error.description, status=code), code, headers
    page = ERROR_PAGES.get(code)
    if page is None:  # a rarer code: werkzeug's own name and description
        title, message = error.name, error.description
    elif page.shows_description and error.description != type(error).description:
        # A description of our own (abort(404, description=...)); werkzeug's default is English.
        title, message = page.title, error.description
    else:
        title, message = page.title, page.message
    return (
        render_template(
            "errors/error.html", code=code, title=title, message=message, known=page is not None
        ),
        code,
        headers,
    )


def handle_unexpected_error(error: Exception):
    _discard_failed_transaction()
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def handle_stale_entry(error: StaleDataError):
    """A versioned entry (supplies/models.py) was saved by someone else between this request's
    read and its write: the later write is refused, never applied over the other."""
    logger.info("Refused a stale write on %s %s: %s", request.method, request.path, error)
    return handle_http_error(Conflict(description=ERROR_PAGES[409].message))


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StaleDataError, handle_stale_entry)
    app.register_error_handler(Exception, handle_unexpected_error)
