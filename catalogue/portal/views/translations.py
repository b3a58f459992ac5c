"""Translations of the maker's own products and profile (the pages themselves:
supplies/translations.py)."""

from flask import url_for
from flask_login import current_user

from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import translations
from catalogue.supplies.translations import Pages


def _product_pages(product_id: int) -> Pages:
    return Pages(
        side="portal",
        back=url_for("portal.product_edit", product_id=product_id),
        overview=url_for("portal.product_translations", product_id=product_id),
        edit=lambda language: url_for(
            "portal.product_translation_edit", product_id=product_id, language=language
        ),
    )


def _profile_pages() -> Pages:
    return Pages(
        side="portal",
        back=url_for("portal.profile_edit"),
        overview=url_for("portal.profile_translations"),
        edit=lambda language: url_for("portal.profile_translation_edit", language=language),
    )


@bp.get("/products/<int:product_id>/translations")
def product_translations(product_id):
    product = services.own_product(current_user, product_id)
    return translations.overview(_product_pages(product.id), product)


@bp.route("/products/<int:product_id>/translations/<language>", methods=["GET", "POST"])
def product_translation_edit(product_id, language):
    product = services.own_product(current_user, product_id)
    return translations.editor(_product_pages(product.id), product, language)


@bp.get("/profile/translations")
def profile_translations():
    return translations.overview(_profile_pages(), services.own_manufacturer(current_user))


@bp.route("/profile/translations/<language>", methods=["GET", "POST"])
def profile_translation_edit(language):
    maker = services.own_manufacturer(current_user)
    return translations.editor(_profile_pages(), maker, language)
