"""Translations of any product, manufacturer profile or article, as staff enter them (the pages
themselves: supplies/translations.py)."""

from typing import Any

from flask import url_for

from catalogue.content.models import Article
from catalogue.extensions import db
from catalogue.staff.views import bp
from catalogue.supplies import translations
from catalogue.supplies.models import Manufacturer, Product
from catalogue.supplies.translations import Pages


def _pages(noun: str, back: str, argument: str, object_id: int) -> Pages:
    """The pages of one object: `noun` names its endpoints ("product": product_translations)."""
    ids: dict[str, Any] = {argument: object_id}
    return Pages(
        side="staff",
        back=url_for(back, **ids),
        overview=url_for(f"staff.{noun}_translations", **ids),
        edit=lambda language: url_for(f"staff.{noun}_translation_edit", **ids, language=language),
    )


def _product(product_id: int) -> tuple[Pages, Product]:
    pages = _pages("product", "staff.product_edit", "product_id", product_id)
    return pages, db.get_or_404(Product, product_id)


def _manufacturer(manufacturer_id: int) -> tuple[Pages, Manufacturer]:
    pages = _pages("manufacturer", "staff.manufacturer_detail", "manufacturer_id", manufacturer_id)
    return pages, db.get_or_404(Manufacturer, manufacturer_id)


def _article(article_id: int) -> tuple[Pages, Article]:
    pages = _pages("article", "staff.content_article_edit", "article_id", article_id)
    return pages, db.get_or_404(Article, article_id)


@bp.get("/products/<int:product_id>/translations")
def product_translations(product_id):
    return translations.overview(*_product(product_id))


@bp.route("/products/<int:product_id>/translations/<language>", methods=["GET", "POST"])
def product_translation_edit(product_id, language):
    return translations.editor(*_product(product_id), language)


@bp.get("/manufacturers/<int:manufacturer_id>/translations")
def manufacturer_translations(manufacturer_id):
    return translations.overview(*_manufacturer(manufacturer_id))


@bp.route("/manufacturers/<int:manufacturer_id>/translations/<language>", methods=["GET", "POST"])
def manufacturer_translation_edit(manufacturer_id, language):
    return translations.editor(*_manufacturer(manufacturer_id), language)


@bp.get("/content/articles/<int:article_id>/translations")
def article_translations(article_id):
    return translations.overview(*_article(article_id))


@bp.route("/content/articles/<int:article_id>/translations/<language>", methods=["GET", "POST"])
def article_translation_edit(article_id, language):
    return translations.editor(*_article(article_id), language)
