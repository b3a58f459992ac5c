"""/healthz: what a load balancer or an operator checks."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from catalogue.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as exc:  # any failure here means "not healthy", reported not raised
        db.session.rollback()
        database = {"status": "error", "error": exc.__class__.__name__}
    healthy = database["status"] == "ok"
    return jsonify(status="ok" if healthy else "error", database=database), (
        200 if healthy else 503
    )
