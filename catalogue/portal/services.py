"""Portal queries: everything is scoped to the signed-in user's own manufacturer.

Objects are never fetched by bare id: another maker's id gives 404, as if it did not exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.supplies.models import (
    Approval,
    Manufacturer,
    PerformanceResult,
    Product,
    ProductPhoto,
    Upload,
)

# Facts a buyer needs before asking for a quotation; the dashboard lists the missing ones (their
# labels in the maker's language).
PROFILE_FACTS = {
    "contact_email": _l("contact e-mail"),
    "contact_phone": _l("contact phone"),
    "website": _l("website"),
    "address": _l("address"),
    "export_permission_number": _l("MFDS export permission number"),
    "quality_certifications": _l("quality certifications"),
}
PRODUCT_FACTS = {
    "intended_use": _l("intended use"),
    "specimen_types": _l("specimen types"),
    "performance": _l("performance figures"),
    "moq": _l("minimum order quantity"),
    "lead_time": _l("lead time"),
    "storage_temperature": _l("storage temperature"),
    "shelf_life_months": _l("shelf life"),
    "hs_code": _l("HS code"),
}


def own_manufacturer(user) -> Manufacturer:
    maker = db.session.get(Manufacturer, user.manufacturer_id)
    if maker is None:
        abort(403)
    return maker


def own_products(user, status: str | None = None) -> list[Product]:
    stmt = (
        sa.select(Product)
        .where(Product.manufacturer_id == user.manufacturer_id)
        .order_by(Product.name)
        .options(selectinload(Product.approvals), selectinload(Product.specimens))
    )
    if status:
        stmt = stmt.where(Product.status == status)
    return list(db.session.scalars(stmt))


def own_product(user, product_id: int) -> Product:
    return db.first_or_404(
        sa.select(Product).where(
            Product.id == product_id, Product.manufacturer_id == user.manufacturer_id
        )
    )


def own_approval(user, approval_id: int) -> Approval:
    return db.first_or_404(
        sa.select(Approval)
        .join(Product, Approval.product_id == Product.id)
        .where(Approval.id == approval_id, Product.manufacturer_id == user.manufacturer_id)
    )


def own_performance(user, product: Product, result_id: int) -> PerformanceResult:
    return db.first_or_404(
        sa.select(PerformanceResult).where(
            PerformanceResult.id == result_id, PerformanceResult.product_id == product.id
        )
    )


def own_upload(user, document_id: int) -> Upload:
    return db.first_or_404(
        sa.select(Upload)
        .outerjoin(Product, Upload.product_id == Product.id)
        .where(
            Upload.id == document_id,
            sa.or_(
                Product.manufacturer_id == user.manufacturer_id,
                Upload.manufacturer_id == user.manufacturer_id,
            ),
        )
    )


def _own_photo(user, condition) -> ProductPhoto:
    return db.first_or_404(
        sa.select(ProductPhoto)
        .join(Product, ProductPhoto.product_id == Product.id)
        .where(condition, Product.manufacturer_id == user.manufacturer_id)
    )


def own_photo(user, photo_id: int) -> ProductPhoto:
    return _own_photo(user, ProductPhoto.id == photo_id)


def own_photo_by_token(user, token: str) -> ProductPhoto:
    """A photo's files are named by its token (supplies/photos.py)."""
    return _own_photo(user, ProductPhoto.token == token)


def own_inquiry(user, inquiry_id: int) -> Inquiry:
    return db.first_or_404(
        sa.select(Inquiry).where(
            Inquiry.id == inquiry_id, Inquiry.manufacturer_id == user.manufacturer_id
        )
    )


def own_inquiry_page(user, status: str | None, page: int) -> Pagination:
    """The maker's inquiries, newest first, optionally of one status; past the end is empty."""
    stmt = (
        sa.select(Inquiry)
        .where(Inquiry.manufacturer_id == user.manufacturer_id)
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    )
    if status:
        stmt = stmt.where(Inquiry.status == status)
    return db.paginate(stmt, page=page, per_page=30, error_out=False)


def own_inquiry_counts(user) -> dict[str, int]:
    """How many of the maker's inquiries are in each status."""
    stmt = (
        sa.select(Inquiry.status, sa.func.count())
        .where(Inquiry.manufacturer_id == user.manufacturer_id)
        .group_by(Inquiry.status)
    )
    return dict(db.session.execute(stmt).all())


def missing_profile_facts(maker: Manufacturer) -> list[str]:
    return [str(label) for field, label in PROFILE_FACTS.items() if not getattr(maker, field)]


def missing_product_facts(product: Product) -> list[str]:
    missing = [str(label) for field, label in PRODUCT_FACTS.items() if not getattr(product, field)]
    if not any(a.status == "verified" for a in product.approvals):
        missing.append(str(_l("a verified approval")))
    return missing
