"""Staff queries: the work waiting for staff and the back-office lists of every feature's rows."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from catalogue.accounts.models import User
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry, ReferenceRate
from catalogue.lib.dates import today, utcnow
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import (
    CURRENT_STATES,
    Approval,
    Manufacturer,
    PerformanceResult,
    Product,
)

STALE_AFTER = timedelta(days=180)
EXPIRING_WITHIN = timedelta(days=60)


def _page(stmt, page: int, per_page: int) -> Pagination:
    # A page past the end is an empty page, not a 404.
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def waiting_work() -> dict:
    """Counts and lists for the dashboard: claims to verify, unverified makers, stale products."""
    claims = db.session.scalars(
        sa.select(Approval).where(Approval.status == "claimed").order_by(Approval.created_at)
    ).all()
    verified_makers = (
        sa.select(Product.manufacturer_id)
        .join(Approval, Approval.product_id == Product.id)
        .where(Approval.status == "verified")
    )
    unverified_makers = db.session.scalars(
        sa.select(Manufacturer)
        .where(Manufacturer.id.not_in(verified_makers))
        .order_by(Manufacturer.name)
    ).all()
    stale = db.session.scalars(
        sa.select(Product)
        .where(Product.status == "published", Product.updated_at < utcnow() - STALE_AFTER)
        .order_by(Product.updated_at)
    ).all()
    claimed_results = db.session.scalar(
        sa.select(sa.func.count(PerformanceResult.id)).where(PerformanceResult.status == "claimed")
    )
    return {
        "claims": claims,
        "claimed_results": claimed_results,
        "unverified_makers": unverified_makers,
        "stale_products": stale,
        "expiring": expiring_approvals(),
        "expired_count": db.session.scalar(
            sa.select(sa.func.count(Approval.id)).where(
                Approval.status.in_(CURRENT_STATES), Approval.valid_until < today()
            )
        ),
    }


def _current_approvals():
    """Approvals that count for buyers unless expired: not rejected or revoked."""
    return (
        sa.select(Approval)
        .where(Approval.status.in_(CURRENT_STATES))
        .options(selectinload(Approval.product).selectinload(Product.manufacturer))
    )


def expiring_approvals() -> list[Approval]:
    """Approvals whose validity ends within EXPIRING_WITHIN, soonest first."""
    day = today()
    stmt = _current_approvals().where(
        Approval.valid_until >= day, Approval.valid_until <= day + EXPIRING_WITHIN
    )
    return list(db.session.scalars(stmt.order_by(Approval.valid_until, Approval.id)))


def expired_approvals() -> list[Approval]:
    """Approvals past their valid-until date, most recently expired first."""
    stmt = _current_approvals().where(Approval.valid_until < today())
    return list(db.session.scalars(stmt.order_by(Approval.valid_until.desc(), Approval.id)))


def revoked_approvals() -> list[Approval]:
    """Approvals staff recorded as revoked, most recently revoked first."""
    stmt = (
        sa.select(Approval)
        .where(Approval.status == "revoked")
        .options(selectinload(Approval.product).selectinload(Product.manufacturer))
        .order_by(Approval.revoked_on.desc(), Approval.id)
    )
    return list(db.session.scalars(stmt))


# --- Manufacturers, products, approval claims -----------------------------------------------


def _approval_count(status: str):
    return (
        sa.select(sa.func.count(Approval.id))
        .join(Product, Approval.product_id == Product.id)
        .where(Product.manufacturer_id == Manufacturer.id, Approval.status == status)
        .scalar_subquery()
    )


def manufacturers_with_claim_counts() -> list[sa.Row]:
    """Every manufacturer by name, each as (manufacturer, verified count, claimed count)."""
    stmt = sa.select(
        Manufacturer, _approval_count("verified"), _approval_count("claimed")
    ).order_by(Manufacturer.name)
    return list(db.session.execute(stmt).all())


def manufacturers_by_name() -> list[Manufacturer]:
    return list(db.session.scalars(sa.select(Manufacturer).order_by(Manufacturer.name)))


def manufacturer_users(maker: Manufacturer) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.manufacturer_id == maker.id).order_by(User.email)
        )
    )


def manufacturer_products(maker: Manufacturer) -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product).where(Product.manufacturer_id == maker.id).order_by(Product.name)
        )
    )


def product_page(q: str, page: int) -> Pagination:
    """Products of every maker and status, by maker and name; `q` matches either name."""
    stmt = (
        sa.select(Product)
        .join(Product.manufacturer)
        .options(selectinload(Product.manufacturer))
        .order_by(Manufacturer.name, Product.name)
    )
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Product.name).like(like), sa.func.lower(Manufacturer.name).like(like)
            )
        )
    return _page(stmt, page, 50)


def claims_with_status(status: str) -> list[Approval]:
    """Approvals in one stored state, longest unchanged first."""
    return list(
        db.session.scalars(
            sa.select(Approval)
            .where(Approval.status == status)
            .order_by(Approval.updated_at, Approval.id)
            .options(selectinload(Approval.product).selectinload(Product.manufacturer))
        )
    )


def results_with_status(status: str) -> list[PerformanceResult]:
    """Performance results in one state, by manufacturer and product."""
    return list(
        db.session.scalars(
            sa.select(PerformanceResult)
            .join(PerformanceResult.product)
            .join(Product.manufacturer)
            .where(PerformanceResult.status == status)
            .order_by(Manufacturer.name, Product.name, PerformanceResult.id)
            .options(selectinload(PerformanceResult.product).selectinload(Product.manufacturer))
        )
    )


# --- Inquiries ------------------------------------------------------------------------------


def _inquiries(status: str | None, maker_slug: str | None):
    stmt = sa.select(Inquiry).order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    if status:
        stmt = stmt.where(Inquiry.status == status)
    if maker_slug:
        stmt = stmt.join(Manufacturer, Inquiry.manufacturer_id == Manufacturer.id).where(
            Manufacturer.slug == maker_slug
        )
    return stmt.options(selectinload(Inquiry.manufacturer))


def inquiry_page(status: str | None, maker_slug: str | None, page: int) -> Pagination:
    """Every maker's inquiries, newest first, optionally of one status and one maker."""
    return _page(_inquiries(status, maker_slug), page, 50)


def filtered_inquiries(status: str | None, maker_slug: str | None) -> list[Inquiry]:
    """Every inquiry inquiry_page lists, all pages at once (for the CSV export)."""
    return list(db.session.scalars(_inquiries(status, maker_slug)))


# --- Users, audit trail, outgoing mail, exchange rates --------------------------------------


def user_page(role: str | None, page: int) -> Pagination:
    stmt = sa.select(User).order_by(User.role, User.email)
    if role:
        stmt = stmt.where(User.role == role)
    return _page(stmt, page, 50)


def change_page(entity_type: str | None, page: int) -> Pagination:
    """The audit trail, newest first, optionally for one kind of entry ("products", ...)."""
    stmt = sa.select(ChangeRecord).order_by(ChangeRecord.created_at.desc(), ChangeRecord.id.desc())
    if entity_type:
        stmt = stmt.where(ChangeRecord.entity_type == entity_type)
    return _page(stmt, page, 100)


def mail_page(status: str | None, page: int) -> Pagination:
    stmt = sa.select(OutboundEmail).order_by(OutboundEmail.id.desc())
    if status:
        stmt = stmt.where(OutboundEmail.status == status)
    return _page(stmt, page, 50)


def mail_counts() -> dict[str, int]:
    """How many outgoing e-mails are in each state."""
    stmt = sa.select(OutboundEmail.status, sa.func.count()).group_by(OutboundEmail.status)
    return dict(db.session.execute(stmt).all())


def rate_history_page(page: int) -> Pagination:
    """Every reference rate entered, newest first."""
    stmt = sa.select(ReferenceRate).order_by(
        ReferenceRate.as_of.desc(), ReferenceRate.created_at.desc(), ReferenceRate.id.desc()
    )
    return _page(stmt, page, 100)
