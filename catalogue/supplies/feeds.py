"""The Atom feed of new and changed products: the published products, last changed first."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from catalogue.extensions import db
from catalogue.lib.atom import Entry, atom_feed
from catalogue.lib.urls import external_url, site_url
from catalogue.supplies.models import Product

FEED_LENGTH = 50


def _entry(product: Product) -> Entry:
    maker = product.manufacturer.name
    summary = f"{product.summary} — {maker}" if product.summary else f"By {maker}."
    return Entry(
        key=f"product:{product.id}",
        title=product.listed_name,
        link=external_url("supplies.product_detail", slug=product.slug),
        updated=product.updated_at,
        summary=summary,
        categories=[product.category.name],
    )


def products_feed() -> bytes:
    products = db.session.scalars(
        sa.select(Product)
        .where(Product.status == "published")
        .order_by(Product.updated_at.desc(), Product.id.desc())
        .limit(FEED_LENGTH)
        .options(selectinload(Product.manufacturer), selectinload(Product.category))
    )
    return atom_feed(
        site=site_url(current_app.config),
        title=f"New and changed products · {current_app.config['SITE_NAME']}",
        subtitle="Published products of the catalogue, the most recently changed first.",
        author=current_app.config["SITE_NAME"],
        self_url=external_url("supplies.product_feed"),
        page_url=external_url("supplies.product_list", sort="updated"),
        entries=[_entry(product) for product in products],
    )
