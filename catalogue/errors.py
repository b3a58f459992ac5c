"""Domain exceptions and the one error handler that renders every HTTP error in the site's style."""

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger(__name__)

PAGE_CODES = {400, 403, 404, 405, 413, 429, 500}


class ServiceError(Exception):
    """A broken business rule, reported to the user beside the field it concerns."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if _wants_json():
        return jsonify(error=error.name, message=error.description, status=code), code
    template = f"errors/{code}.html" if code in PAGE_CODES else "errors/generic.html"
    return render_template(template, error=error), code


def handle_unexpected_error(error: Exception):
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
