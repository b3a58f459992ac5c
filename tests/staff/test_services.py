"""The staff back office's queries: what each list holds and how it filters."""

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.staff import services


def test_claim_counts_per_maker_count_only_that_makers_approvals(world):
    world.product_a.approvals[0].status = "verified"
    db.session.commit()
    rows = {maker.slug: (verified, claimed) for maker, verified, claimed in
            services.manufacturers_with_claim_counts()}  # fmt: skip
    assert rows == {"maker-a": (1, 0), "maker-b": (0, 1)}
    assert services.claims_with_status("claimed") == [world.product_b.approvals[0]]


def test_product_page_matches_product_or_maker_name_in_any_case(world):
    assert [p.slug for p in services.product_page("MAKER B", 1).items] == ["product-b"]
    assert len(services.product_page("", 1).items) == 2
    assert services.product_page("", 9).items == []  # past the end: empty, not an error


def test_inquiries_filter_by_status_and_maker(world):
    world.inquiry_b.status = "closed"
    db.session.commit()
    by_maker = services.inquiry_page(None, "maker-a", 1).items
    assert [i.id for i in by_maker] == [world.inquiry_a.id]
    closed = services.filtered_inquiries("closed", None)
    assert [i.id for i in closed] == [world.inquiry_b.id]
    assert len(services.filtered_inquiries(None, None)) == db.session.query(Inquiry).count()


def test_users_mail_and_rates(world):
    roles = {u.role for u in services.user_page("manufacturer", 1).items}
    assert roles == {"manufacturer"}
    counts = services.mail_counts()
    assert sum(counts.values()) == len(services.mail_page(None, 1).items)
    assert services.rate_history_page(1).items == [world.rate]
    assert services.manufacturer_users(world.maker_b) == [world.user_b]
    assert services.manufacturer_products(world.maker_a) == [world.product_a]
