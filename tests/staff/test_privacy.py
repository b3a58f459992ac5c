"""Removing an officer's personal data on request: the inquiries stay for the records without
who asked, the action is audited without the data, and mail to the address stops."""

from pathlib import Path

import sqlalchemy as sa

from catalogue.accounts import services as accounts
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.inquiries import services as inquiries
from catalogue.inquiries.models import Inquiry
from catalogue.mail.delivery import deliver_pending
from catalogue.mail.models import OutboundEmail
from catalogue.mail.services import queue_email

ANA = "beatriz.lima@recife.example"
REMOVED = "removed on request"


def _file(world, email=ANA, officer=None):
    filed = inquiries.file_inquiries(
        [inquiries.LineRequest(world.product_a, 5000, "tests")],
        inquiries.Contact(
            name="Beatriz Lima",
            organisation="Recife City Health Department",
            job_title="Procurement officer",
            email=email,
            phone="+55 81 3355 0000",
            city="Recife",
            country="BR",
        ),
        destination="Recife airport (REC)",
        incoterm=None,
        required_by=None,
        message="Please call me, Beatriz Lima, on +55 81 3355 0000.",
        officer=officer,
    )
    db.session.commit()
    return filed.inquiries[0]


def _everything_stored():
    """Every text the outbox, the inquiries' threads and the audit history hold."""
    texts = []
    for m in db.session.scalars(sa.select(OutboundEmail)):
        texts += [m.to_address, m.subject, m.body_text, m.last_error or ""]
    for r in db.session.scalars(sa.select(ChangeRecord)):
        texts += [r.old_value or "", r.new_value or ""]
    for i in db.session.scalars(sa.select(Inquiry)):
        texts += [i.message or ""] + [m.body for m in i.messages] + [e.summary for e in i.events]
    return "\n".join(texts)


def test_staff_find_an_officers_data_by_email(client, login, world):
    inquiry, _token = _file(world)
    login(world.staff)
    page = client.post("/staff/privacy/", data={"email": "Beatriz.Lima@Recife.example"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert inquiry.reference in text and "Beatriz Lima" in text
    assert "Remove their personal data" in text


def test_removal_keeps_references_and_replies_and_drops_the_personal_fields(
    app, client, login, world, smtp_server
):
    inquiry, token = _file(world)
    inquiry_id, reference = inquiry.id, inquiry.reference
    inquiries.reply_as_manufacturer(world.user_a, inquiry, "Dear Beatriz Lima, our price follows.")
    db.session.commit()
    deliver_pending()  # the confirmation and the maker's notice are sent...
    inquiries.reply_as_manufacturer(world.user_a, inquiry, "We can ship in May.")
    db.session.commit()  # ...this reply to Ana is still waiting
    assert client.get(f"/inquiry/track/{token}").status_code == 200
    waiting = db.session.scalar(
        sa.select(OutboundEmail).where(
            OutboundEmail.to_address == ANA, OutboundEmail.status == "pending"
        )
    )
    assert waiting is not None
    waiting_id = waiting.id

    login(world.staff)
    response = client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 inquiries" in flashed and "1 unsent e-mails cancelled" in flashed

    db.session.expire_all()
    kept = db.session.get(Inquiry, inquiry_id)
    assert kept.reference == reference
    assert [(line.product_id, line.quantity) for line in kept.lines] == [(world.product_a.id, 5000)]
    assert kept.destination == "Recife airport (REC)" and kept.country == "BR"
    assert (kept.contact_name, kept.organisation, kept.email) == (REMOVED,) * 3
    assert kept.job_title is None and kept.phone is None
    assert kept.message == REMOVED
    replies = [m.body for m in kept.messages if m.author_kind == "manufacturer"]
    assert replies == [f"Dear {REMOVED}, our price follows.", "We can ship in May."]

    # Nothing the outbox, the threads or the history keep names her any more.
    stored = _everything_stored()
    for personal in ("Beatriz Lima", ANA, "+55 81 3355 0000", "Recife City Health Department"):
        assert personal not in stored
    assert db.session.get(OutboundEmail, waiting_id).status == "cancelled"

    # Her tracking link opens nothing.
    assert client.get(f"/inquiry/track/{token}").status_code == 404

    # Audited, by whom, without the removed values.
    records = db.session.scalars(
        sa.select(ChangeRecord).where(ChangeRecord.actor_id == world.staff.id)
    ).all()
    assert {(r.entity_type, r.new_value) for r in records} >= {("inquiries", "Removed on request")}
    assert any(
        r.entity_type == "mail_suppressions" and "1 inquiries" in r.new_value for r in records
    )
    audit = client.get("/staff/audit/?entity_type=inquiries").get_data(as_text=True)
    assert f"inquiries #{inquiry_id}" in audit

    # The maker still has the inquiry and its own replies, without who asked.
    login(world.user_a)
    maker_page = client.get(f"/portal/inquiries/{inquiry_id}").get_data(as_text=True)
    assert reference in maker_page and "our price follows" in maker_page
    assert f"Buyer's contact: {REMOVED}" in maker_page and "Beatriz" not in maker_page

    # New mail to the address is not sent: a maker's later reply reaches nobody.
    inquiries.reply_as_manufacturer(world.user_a, kept, "Any news?")
    db.session.commit()
    sent_before = len(smtp_server.inbox.messages)
    deliver_pending()
    assert len(smtp_server.inbox.messages) == sent_before
    latest = db.session.scalars(sa.select(OutboundEmail).order_by(OutboundEmail.id.desc())).first()
    assert latest.status == "cancelled" and ANA not in latest.to_address


def _sent_to_ana(smtp_server) -> list[str]:
    return [m["Subject"] for m in smtp_server.inbox.messages if "beatriz" in m["To"].lower()]


def test_mail_queued_to_the_address_elsewhere_is_not_sent_either(client, login, world, smtp_server):
    login(world.staff)
    assert (
        client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"}).status_code == 302
    )
    queue_email(ANA.upper(), "Reset", "password_reset", user=None, link="x", hours=2)
    db.session.commit()
    deliver_pending()
    assert _sent_to_ana(smtp_server) == []


def test_short_values_and_other_words_in_the_makers_text_are_left_alone(client, login, world):
    inquiry, _token = _file(world)
    inquiry.organisation = "WHO"  # shorter than a value looked for in other people's text
    inquiry.lines[0].note = "For the Recife airport clinic"
    db.session.commit()
    reply = "WHO EUL listed; Beatriz Lima, BEATRIZ LIMA and Beatrizes noted."
    inquiries.reply_as_manufacturer(world.user_a, inquiry, reply)
    db.session.commit()
    login(world.staff)
    client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
    db.session.expire_all()
    kept = db.session.get(Inquiry, inquiry.id)
    (body,) = [m.body for m in kept.messages if m.author_kind == "manufacturer"]
    assert body == f"WHO EUL listed; {REMOVED}, {REMOVED} and Beatrizes noted."
    assert kept.lines[0].note == REMOVED  # the buyer's own words


def test_registering_after_the_removal_gets_the_confirmation(client, login, world, smtp_server):
    login(world.staff)
    client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
    client.post("/account/logout")
    accounts.register_officer(ANA, "a long enough pass phrase 42", name="Beatriz Lima")
    db.session.commit()
    deliver_pending()
    assert _sent_to_ana(smtp_server) == ["Confirm your e-mail address to finish registering"]


def test_a_new_inquiry_after_the_removal_is_confirmed(client, login, world, smtp_server):
    """Filing again, the officer gives the address anew: their new inquiry is not left silent."""
    login(world.staff)
    client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
    inquiry, _token = _file(world, email=ANA.upper())
    deliver_pending()
    assert _sent_to_ana(smtp_server) == [f"Your inquiry {inquiry.reference}"]


def test_an_officer_account_with_the_address_is_anonymised_and_closed(
    client, login, world, file_inquiry
):
    officer = world.officer
    [(inquiry, _token)] = file_inquiry(
        (world.product_a, 10), email="someone@else.example", officer=officer
    )
    login(world.staff)
    response = client.post("/staff/privacy/erase", data={"email": officer.email, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert officer.email.endswith("@removed.invalid")
    assert officer.name is None and not officer.active and officer.password_hash is None
    # The inquiries the account filed lose their contact too, whatever address they gave.
    assert db.session.get(Inquiry, inquiry.id).email == REMOVED


def test_nothing_is_removed_without_the_staff_members_confirmation(client, login, world):
    inquiry, _token = _file(world)
    login(world.staff)
    response = client.post("/staff/privacy/erase", data={"email": ANA})
    assert response.status_code == 400
    assert "Confirm the request before removing anything." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry.id).contact_name == "Beatriz Lima"


def test_a_bad_address_is_refused_clearly(client, login, world):
    login(world.staff)
    response = client.post("/staff/privacy/", data={"email": "not an address"})
    assert response.status_code == 400
    assert "Invalid email address" in response.get_data(as_text=True)


def test_only_staff_may_look_up_or_remove_personal_data(client, login, world):
    inquiry, _token = _file(world)
    for user in (world.officer, world.user_a):
        login(user)
        assert client.get("/staff/privacy/").status_code == 403
        assert client.post("/staff/privacy/", data={"email": ANA}).status_code == 403
        erase = client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
        assert erase.status_code == 403
    login(None)
    assert client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"}).status_code in (
        302,
        401,
    )
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry.id).contact_name == "Beatriz Lima"


def test_removal_without_a_csrf_token_is_refused(app, client, login, world):
    inquiry, _token = _file(world)
    login(world.staff)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry.id).contact_name == "Beatriz Lima"


def test_this_machines_eml_copies_of_their_mail_are_deleted(app, client, login, world):
    _file(world)
    deliver_pending()  # no MAIL_SERVER: delivered as .eml files
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    copies = [p for p in outbox.iterdir() if "Beatriz Lima" in p.read_text()]
    assert copies
    login(world.staff)
    assert (
        client.post("/staff/privacy/erase", data={"email": ANA, "confirm": "y"}).status_code == 302
    )
    assert not any(p.exists() for p in copies)


def test_a_manufacturers_or_staff_address_is_not_removed_here(client, login, world):
    login(world.staff)
    found = client.post("/staff/privacy/", data={"email": world.user_a.email})
    assert "belongs to a staff or manufacturer account" in found.get_data(as_text=True)
    assert "Remove their personal data" not in found.get_data(as_text=True)
    response = client.post(
        "/staff/privacy/erase", data={"email": world.user_a.email, "confirm": "y"}
    )
    assert response.status_code == 400
    assert "nothing was removed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.user_a.active and "@maker-a.example" in world.user_a.email
    audited = sa.select(ChangeRecord).where(ChangeRecord.entity_type == "mail_suppressions")
    assert not db.session.scalars(audited).all()
