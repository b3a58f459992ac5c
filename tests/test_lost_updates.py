"""Optimistic locking: two people editing one entry never silently overwrite each other.

Issue 14, item 8: a maker's and a staff member's edits of the same product overwrote each other.
Products, manufacturers and approvals carry a version; an edit form carries the version it was
loaded with, and saving an older one is refused with 409, the current entry and the input kept.
"""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.supplies import changes
from catalogue.supplies.models import Approval, Manufacturer, Product

CHANGED = "Changed by someone else meanwhile"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _version(response) -> str:
    """The version the page's edit form was loaded with."""
    match = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', _text(response))
    assert match, "the edit form carries its version"
    return match.group(1)


def _conflict_rows(html: str) -> str:
    return html.split('id="edit-conflict"')[1].split("</table>")[0]


def test_the_second_of_two_product_edits_is_refused_and_the_first_survives(client, login, world):
    product = world.product_a
    maker_url, staff_url = (
        f"/portal/products/{product.id}/edit",
        f"/staff/products/{product.id}/edit",
    )
    login(world.user_a)
    maker_version = _version(client.get(maker_url))
    login(world.staff)
    staff_version = _version(client.get(staff_url))
    assert maker_version == staff_version

    login(world.user_a)
    saved = client.post(
        maker_url,
        data={"name": "Maker's new name", "category_id": product.category_id,
              "summary": "Rapid antigen test", "version": maker_version},
    )  # fmt: skip
    assert saved.status_code == 302

    login(world.staff)
    refused = client.post(
        staff_url,
        data={"name": "Staff's new name", "category_id": product.category_id,
              "summary": "Antigen test for professionals", "version": staff_version},
    )  # fmt: skip
    assert refused.status_code == 409
    html = _text(refused)
    assert CHANGED in html and "your changes were not saved" in html
    # The current entry beside the staff member's input, which the form keeps.
    rows = _conflict_rows(html)
    assert "Maker&#39;s new name" in rows and "Staff&#39;s new name" in rows
    assert "Rapid antigen test" in rows and "Antigen test for professionals" in rows
    assert 'value="Staff&#39;s new name"' in html
    db.session.expire_all()
    kept = db.session.get(Product, product.id)
    assert (kept.name, kept.summary) == ("Maker's new name", "Rapid antigen test")

    # Saving the kept input again is a deliberate choice, and now it is saved.
    again = client.post(
        staff_url,
        data={"name": "Staff's new name", "category_id": product.category_id,
              "summary": "Antigen test for professionals", "version": _version(refused)},
    )  # fmt: skip
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == "Staff's new name"


def test_the_second_of_two_profile_edits_is_refused(client, login, world):
    maker = world.maker_a
    staff_url = f"/staff/manufacturers/{maker.id}"
    login(world.staff)
    staff_version = _version(client.get(staff_url))
    login(world.user_a)
    maker_version = _version(client.get("/portal/profile"))
    saved = client.post(
        "/portal/profile",
        data={"name": maker.name, "city": "Suwon", "version": maker_version},
    )
    assert saved.status_code == 302

    login(world.staff)
    refused = client.post(
        staff_url, data={"name": maker.name, "city": "Seoul", "version": staff_version}
    )
    assert refused.status_code == 409
    rows = _conflict_rows(_text(refused))
    assert "Suwon" in rows and "Seoul" in rows
    db.session.expire_all()
    assert db.session.get(Manufacturer, maker.id).city == "Suwon"


def test_a_maker_edit_of_an_approval_staff_verified_meanwhile_is_refused(client, login, world):
    approval = world.product_a.approvals[0]
    url = f"/portal/approvals/{approval.id}/edit"
    login(world.user_a)
    version = _version(client.get(url))

    login(world.staff)
    verified = client.post(
        f"/staff/claims/{approval.id}/verify",
        data={"evidence_reference": "CE 123", "checked_on": date.today().isoformat(),
              "evidence_note": "Certificate checked with the notified body."},
    )  # fmt: skip
    assert verified.status_code == 302
    db.session.expire_all()
    assert db.session.get(Approval, approval.id).status == "verified"

    login(world.user_a)
    refused = client.post(
        url, data={"authority": "ce_ivd", "reference_number": "CE-999", "version": version}
    )
    assert refused.status_code == 409
    assert CHANGED in _text(refused) and 'value="CE-999"' in _text(refused)
    db.session.expire_all()
    kept = db.session.get(Approval, approval.id)
    assert (kept.status, kept.reference_number) == ("verified", None)


def _bump_elsewhere(product: Product, **values) -> None:
    """Another transaction's committed update of the row, unseen by this session's copy."""
    table = Product.__table__
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(table)
            .where(table.c.id == product.id)
            .values(version=table.c.version + 1, **values)
        )


@pytest.mark.postgresql
def test_a_concurrent_save_between_the_check_and_the_write_is_refused(app, world):
    product = db.session.get(Product, world.product_a.id)
    loaded = product.version
    _bump_elsewhere(product, name="Saved by the other request")
    with pytest.raises(changes.EditConflict):
        changes.update_product(
            world.staff, product, {"name": "Saved by this request"}, [], version=loaded
        )
    db.session.rollback()
    assert db.session.get(Product, product.id).name == "Saved by the other request"


@pytest.mark.postgresql
def test_a_stale_write_elsewhere_is_a_409_page_not_a_500(app, client, login, world, monkeypatch):
    set_status = changes.set_product_status

    def racing(actor, product, status):
        _bump_elsewhere(product)  # someone saved the product while this request ran
        set_status(actor, product, status)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(changes, "set_product_status", racing)
    login(world.user_a)
    response = client.post(
        f"/portal/products/{world.product_a.id}/status", data={"status": "archived"}
    )
    assert response.status_code == 409
    assert "changed by someone else meanwhile" in _text(response)
    db.session.expire_all()
    assert db.session.get(Product, world.product_a.id).status == "published"
