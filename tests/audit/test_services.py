"""The audit trail: what is recorded, and what is not."""

from catalogue.audit.services import apply_changes, history_of, record_change
from catalogue.extensions import db


def test_only_real_changes_are_recorded_newest_first(world):
    product = world.product_a
    first_name = product.name
    assert record_change(world.staff, product, "name", "Kit", "Kit") is None
    apply_changes(world.staff, product, {"name": "Kit 2", "status": product.status})
    apply_changes(world.user_a, product, {"name": "Kit 3"})
    db.session.commit()

    history = history_of(product)
    assert [(r.field, r.old_value, r.new_value) for r in history] == [
        ("name", "Kit 2", "Kit 3"),
        ("name", first_name, "Kit 2"),
    ]
    assert [r.actor_id for r in history] == [world.user_a.id, world.staff.id]
    assert product.name == "Kit 3"


def test_lists_are_kept_as_json_and_each_entry_has_its_own_history(world):
    record_change(world.staff, world.maker_a, "countries", None, ["KR", "BR"])
    db.session.commit()
    (record,) = history_of(world.maker_a)
    assert record.new_value == '["KR", "BR"]' and record.old_value is None
    assert history_of(world.maker_b) == []
