"""/healthz: what a load balancer or an operator checks."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from catalogue.extensions import db
from catalogue.search.indexer import index_status

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
    search = index_status() if healthy else {"status": "unknown"}
    return jsonify(status="ok" if healthy else "error", database=database, search=search), (
        200 if healthy else 503
    )
