"""The portal's queries reach only the signed-in maker's own rows."""

import pytest
from werkzeug.exceptions import NotFound

from catalogue.extensions import db
from catalogue.portal import services


def test_own_lookups_refuse_another_makers_rows(world):
    ids = world.ids("b")
    assert services.own_product(world.user_a, world.product_a.id) == world.product_a
    for lookup, row_id in [
        (services.own_product, ids["product_id"]),
        (services.own_approval, ids["approval_id"]),
        (services.own_inquiry, ids["inquiry_id"]),
    ]:
        with pytest.raises(NotFound):
            lookup(world.user_a, row_id)


def test_own_inquiries_are_counted_and_listed_by_status(world):
    world.inquiry_a.status = "closed"
    db.session.commit()
    assert services.own_inquiry_counts(world.user_a) == {"closed": 1}
    assert services.own_inquiry_page(world.user_a, "closed", 1).items == [world.inquiry_a]
    assert services.own_inquiry_page(world.user_a, "new", 1).items == []
    assert services.own_inquiry_page(world.user_b, None, 1).items == [world.inquiry_b]
