"""A verified maker's identity changes only through staff review.

Issue 14, item 6: a verified maker renamed itself "SD Biosensor, Inc.", changed its website and
contact e-mail, and stayed verified. Its names, website, contact e-mail and export permission
number now wait for staff: the public profile keeps the old values until staff approve, and an
approved change needs a new verification (the old evidence was about the old details).
"""

from datetime import date

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.supplies.models import IdentityChange, Manufacturer

TAKEOVER = {
    "name": "SD Biosensor, Inc.",
    "website": "https://sdbiosensor.example",
    "contact_email": "sales@sdbiosensor.example",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def verified(world):
    maker = world.maker_a
    maker.website, maker.contact_email = "maker-a.example", "export@maker-a.example"
    maker.verification_status, maker.verified_by_id = "verified", world.staff.id
    maker.evidence_reference, maker.checked_on = "MFDS 2020-123", date(2026, 1, 5)
    maker.evidence_note = "Checked against the MFDS manufacturer register."
    db.session.commit()
    return maker


def _profile(maker, **changes) -> dict:
    values = {"name": maker.name, "website": "https://maker-a.example",
              "contact_email": "export@maker-a.example"}  # fmt: skip
    return values | changes


def _fresh(maker) -> Manufacturer:
    db.session.expire_all()
    return db.session.get(Manufacturer, maker.id)


def _pending(maker) -> IdentityChange | None:
    return db.session.scalar(
        sa.select(IdentityChange).where(
            IdentityChange.manufacturer_id == maker.id, IdentityChange.status == "pending"
        )
    )


def test_a_verified_maker_cannot_become_another_company(client, login, world, verified):
    login(world.user_a)
    response = client.post("/portal/profile", data=_profile(verified, city="Suwon", **TAKEOVER))
    assert response.status_code == 302
    maker = _fresh(verified)
    # Nothing of the identity changed, and the profile is still the verified one it was.
    assert (maker.name, maker.website, maker.contact_email) == (
        "Maker A Inc.", "maker-a.example", "export@maker-a.example",
    )  # fmt: skip
    assert maker.verification_status == "verified"
    assert maker.city == "Suwon"  # the rest of the profile the maker edits at once
    public = _text(client.get(f"/supplies/manufacturers/{maker.slug}"))
    assert "Maker A Inc." in public and "SD Biosensor" not in public
    assert "sdbiosensor.example" not in public

    pending = _pending(maker)
    assert pending.requested == TAKEOVER
    assert pending.previous["name"] == "Maker A Inc."
    # Audited, and the maker sees that it waits.
    fields = set(
        db.session.scalars(
            sa.select(ChangeRecord.field).where(
                ChangeRecord.entity_type == "manufacturers", ChangeRecord.entity_id == maker.id
            )
        )
    )
    assert "name (requested; awaits CAC staff review)" in fields
    page = _text(client.get("/portal/profile"))
    notice = page.split('id="identity-change"')[1].split("</div>")[0]
    assert "Waiting for CAC staff review" in notice and "SD Biosensor, Inc." in notice
    assert 'value="SD Biosensor, Inc."' in page  # the form shows what the maker asked for


def test_staff_approve_the_change_and_the_profile_needs_a_new_verification(
    client, login, world, verified
):
    login(world.user_a)
    client.post("/portal/profile", data=_profile(verified, **TAKEOVER))
    change = _pending(verified)

    login(world.staff)
    page = _text(client.get(f"/staff/manufacturers/{verified.id}"))
    section = page.split('id="identity-change"')[1].split("</section>")[0]
    assert "SD Biosensor, Inc." in section and "Maker A Inc." in section
    response = client.post(
        f"/staff/manufacturers/{verified.id}/identity-change/approve",
        data={"change_id": change.id},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "no longer verified" in _text(response)
    maker = _fresh(verified)
    assert (maker.name, maker.website, maker.contact_email) == (
        "SD Biosensor, Inc.", "https://sdbiosensor.example", "sales@sdbiosensor.example",
    )  # fmt: skip
    assert maker.contact_email_source == "Given by the manufacturer in its portal profile"
    assert maker.verification_status == "unverified" and maker.evidence_reference is None
    assert db.session.get(IdentityChange, change.id).status == "approved"
    public = _text(client.get(f"/supplies/manufacturers/{maker.slug}"))
    assert "SD Biosensor, Inc." in public and "Profile verified by CAC staff" not in public


def test_staff_refuse_the_change_with_a_reason_the_maker_reads(client, login, world, verified):
    login(world.user_a)
    client.post("/portal/profile", data=_profile(verified, **TAKEOVER))
    change = _pending(verified)

    login(world.staff)
    url = f"/staff/manufacturers/{verified.id}/identity-change/refuse"
    no_reason = client.post(url, data={"change_id": change.id, "reason": " "})
    assert no_reason.status_code == 400
    assert "Give the manufacturer a reason" in _text(no_reason)
    assert _pending(verified) is not None
    refused = client.post(
        url, data={"change_id": change.id, "reason": "The register names another company."}
    )
    assert refused.status_code == 302
    maker = _fresh(verified)
    assert maker.name == "Maker A Inc." and maker.verification_status == "verified"
    assert _pending(maker) is None

    login(world.user_a)
    page = _text(client.get("/portal/profile"))
    notice = page.split('id="identity-change"')[1].split("</div>")[0]
    assert "did not accept" in notice and "The register names another company." in notice


def test_staff_approve_only_the_request_they_read(client, login, world, verified):
    login(world.user_a)
    client.post("/portal/profile", data=_profile(verified, name="Maker A Holdings"))
    read = _pending(verified)
    # The maker asks for something else before staff decide: a new request replaces it.
    client.post("/portal/profile", data=_profile(verified, **TAKEOVER))
    assert db.session.get(IdentityChange, read.id).status == "replaced"

    login(world.staff)
    stale = client.post(
        f"/staff/manufacturers/{verified.id}/identity-change/approve", data={"change_id": read.id}
    )
    assert stale.status_code == 409
    assert "changed or withdrew its request meanwhile" in _text(stale)
    maker = _fresh(verified)
    assert maker.name == "Maker A Inc." and maker.verification_status == "verified"


def test_the_maker_withdraws_a_request_by_saving_the_current_details(
    client, login, world, verified
):
    login(world.user_a)
    client.post("/portal/profile", data=_profile(verified, **TAKEOVER))
    change = _pending(verified)
    client.post("/portal/profile", data=_profile(verified))
    assert _pending(verified) is None
    assert db.session.get(IdentityChange, change.id).status == "withdrawn"


def test_an_unverified_maker_keeps_editing_its_profile_directly(client, login, world):
    login(world.user_a)
    response = client.post("/portal/profile", data={**TAKEOVER, "city": "Suwon"})
    assert response.status_code == 302
    maker = _fresh(world.maker_a)
    assert (maker.name, maker.contact_email, maker.city) == (
        "SD Biosensor, Inc.", "sales@sdbiosensor.example", "Suwon",
    )  # fmt: skip
    assert _pending(maker) is None


def test_staff_edit_a_verified_profile_directly(client, login, world, verified):
    login(world.staff)
    response = client.post(
        f"/staff/manufacturers/{verified.id}",
        data=_profile(verified, name="Maker A Co., Ltd.", contact_email_source="Phone call"),
    )
    assert response.status_code == 302
    assert _fresh(verified).name == "Maker A Co., Ltd."
