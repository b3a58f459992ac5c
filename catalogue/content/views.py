"""The home page (the CAC sections join it in their own issue)."""

from flask import Blueprint, render_template

from catalogue.supplies import services as supplies

bp = Blueprint("content", __name__)


@bp.get("/")
def home():
    return render_template(
        "content/home.html",
        categories=supplies.categories_with_counts(),
        featured=supplies.featured_products(limit=3),
        manufacturer_count=len(supplies.list_manufacturers()),
    )
