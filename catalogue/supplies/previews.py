"""What a product or manufacturer page tells search engines and link previews: schema.org data
(shown as JSON-LD). Only what the page itself states: no price, rating or offer is ever made up,
and an unknown fact is left out rather than guessed."""

from __future__ import annotations

from typing import Any

from catalogue.lib.urls import external_url
from catalogue.supplies.models import Manufacturer, Product

SCHEMA_ORG = "https://schema.org"


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def photo_url(product: Product) -> str | None:
    """The widest stored file of the product's first photo (the one cards show), if it has one."""
    photo = product.photos[0] if product.photos else None
    if photo is None or not photo.widths:
        return None
    return external_url("supplies.photo_file", token=photo.token, width=photo.widths[-1])


def product_data(product: Product) -> dict[str, Any]:
    maker = product.manufacturer
    return _without_empty(
        {
            "@context": SCHEMA_ORG,
            "@type": "Product",
            "name": product.listed_name,
            "url": external_url("supplies.product_detail", slug=product.slug),
            "description": product.summary,
            "model": product.model_number,
            "category": product.category.name,
            "image": photo_url(product),
            "manufacturer": {
                "@type": "Organization",
                "name": maker.name,
                "url": external_url("supplies.manufacturer_detail", slug=maker.slug),
            },
        }
    )


def organization_data(maker: Manufacturer) -> dict[str, Any]:
    address = _without_empty(
        {
            "@type": "PostalAddress",
            "addressLocality": maker.city,
            "addressRegion": maker.province,
            # Every manufacturer here is Korean; Manufacturer.location says so too.
            "addressCountry": "KR" if maker.city or maker.province else None,
        }
    )
    return _without_empty(
        {
            "@context": SCHEMA_ORG,
            "@type": "Organization",
            "name": maker.name,
            "alternateName": maker.name_ko,
            "url": maker.website_url,
            "mainEntityOfPage": external_url("supplies.manufacturer_detail", slug=maker.slug),
            "description": maker.description,
            "foundingDate": str(maker.founded_year) if maker.founded_year else None,
            "address": address if len(address) > 1 else None,
        }
    )
