"""The CAC staff desk: inquiries to makers nobody can reach yet, and how staff pass them on."""

import re

import pytest
import sqlalchemy as sa

from catalogue.accounts.models import User
from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.inquiries import desk
from catalogue.inquiries.links import tracking_token
from catalogue.inquiries.models import Inquiry, InquiryEvent
from catalogue.mail.delivery import deliver_pending
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Manufacturer
from tests.fixtures.accounts import DEFAULT_PASSWORD
from tests.inquiries.test_journey import inquiry_form

BUYER = "ana.souza@recife.example"
CONTACT = "export@desk-maker.example"


@pytest.fixture
def desk_maker(make_manufacturer, make_product):
    """A maker with no portal user and no contact e-mail, and one published product."""
    maker = make_manufacturer(slug="desk-maker", name="Desk Maker Co., Ltd.")
    make_product(slug="desk-kit", name="Desk Rapid Kit", manufacturer=maker)
    return maker


@pytest.fixture
def filed(client, world, desk_maker, make_user):
    """An inquiry for the desk maker, filed through the form by a buyer without an account."""
    make_user(role="staff", email="desk@portal.example")
    response = client.post("/inquiry/new", data=inquiry_form([("desk-kit", 500)]))
    assert response.status_code == 302
    return db.session.scalar(sa.select(Inquiry).where(Inquiry.manufacturer_id == desk_maker.id))


def _text(response):
    return response.get_data(as_text=True)


def _mail(kind=None, to=None):
    stmt = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    if kind:
        stmt = stmt.where(OutboundEmail.kind == kind)
    if to:
        stmt = stmt.where(OutboundEmail.to_address == to)
    return db.session.scalars(stmt).all()


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _reload(inquiry):
    db.session.expire_all()
    return db.session.get(Inquiry, inquiry.id)


def _tracking_page(client, login, inquiry):
    login(None)
    return _text(client.get(f"/inquiry/track/{tracking_token(inquiry)}"))


def test_maker_without_user_or_email_goes_to_the_staff_desk_and_staff_hear_at_once(
    client, login, world, filed
):
    assert filed.route == "staff_desk" and filed.status == "new"
    notices = _mail("inquiry_staff_desk")
    assert sorted(m.to_address for m in notices) == ["desk@portal.example", world.staff.email]
    assert all(f"/staff/inquiries/{filed.id}" in m.body_text for m in notices)
    assert "not on the portal yet" in _tracking_page(client, login, filed)

    login(world.staff)
    page = _text(client.get("/staff/"))
    assert re.search(r'id="count-needs-route">1<', page)
    # The queue is the first thing on the dashboard, before the overdue list and the claims.
    queue = page.split('id="needs-route-table"')[1].split("</table>")[0]
    assert page.index("Needs a route") < page.index("No first response after")
    assert page.index("Needs a route") < page.index("Oldest claims")
    assert f'href="/staff/inquiries/{filed.id}"' in queue and filed.reference in queue
    assert "Desk Maker Co., Ltd." in queue and "Recife City Health Department (BR)" in queue
    assert "not on the portal yet" in queue
    assert re.search(r"<td>(less than a minute|\d+ minutes?)</td>", queue)
    assert f'href="/staff/inquiries/{filed.id}#actions">Forward it' in queue

    detail = _text(client.get(f"/staff/inquiries/{filed.id}"))
    for action in ("Add a contact and forward", "Invite a maker user",
                   "Forward by e-mail with a note", "Record a contact by phone, fax or visit",
                   "Close the inquiry"):  # fmt: skip
        assert action in detail, action


def test_dashboard_says_so_in_plain_words_when_nothing_waits(client, login, world):
    login(world.staff)
    page = _text(client.get("/staff/"))
    assert re.search(r'id="count-needs-route">0<', page)
    assert re.search(r'id="count-escalated">0<', page)
    assert "Every open inquiry has reached its manufacturer." in page
    assert "No inquiry waits longer than 2 business days for a first response." in page


def test_staff_add_a_contact_and_forward(client, login, world, filed, desk_maker, smtp_server):
    login(world.staff)
    response = client.post(
        f"/staff/inquiries/{filed.id}/forward",
        data={"fw-email": CONTACT, "fw-source": "The maker's website, contact page"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/inquiries/{filed.id}")
    page = _text(client.get(response.headers["Location"]))
    assert "Contact saved and inquiry forwarded" in page
    # Forwarded: the forwarding forms give way; recording a contact and closing stay.
    assert "Add a contact and forward" not in page and "Record a contact by phone" in page

    inquiry = _reload(filed)
    maker = db.session.get(Manufacturer, desk_maker.id)
    assert maker.contact_email == CONTACT
    assert maker.contact_email_source == "The maker's website, contact page"
    assert inquiry.route == "email" and inquiry.route_address == CONTACT
    assert inquiry.status == "routed" and inquiry.forwarded_by_id == world.staff.id
    # The change of contact is in the audit trail, with who made it.
    records = db.session.scalars(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_type == "manufacturers", ChangeRecord.entity_id == maker.id
        )
    ).all()
    assert {(r.field, r.new_value, r.actor_id) for r in records} >= {
        ("contact_email", CONTACT, world.staff.id),
        ("contact_email_source", "The maker's website, contact page", world.staff.id),
    }
    assert CONTACT in _text(client.get("/staff/audit/?entity_type=manufacturers"))

    # The maker's mail carries a private link that opens the inquiry without an account.
    (notice,) = _mail("inquiry_new_for_maker", CONTACT)
    link = re.search(r"http://localhost(/inquiry/respond/\S+)", notice.body_text).group(1)
    (officer_mail,) = _mail("inquiry_forwarded", BUYER)
    assert filed.reference in officer_mail.subject and "/inquiry/track/" in officer_mail.body_text
    deliver_pending()
    assert smtp_server.inbox.to(CONTACT) and smtp_server.inbox.to(BUYER)

    tracking = _tracking_page(client, login, inquiry)
    assert "Forwarded by CAC staff to Desk Maker Co., Ltd. by e-mail." in tracking
    assert re.search(r"E-mailed to Desk Maker Co., Ltd. by CAC staff on \d", tracking)
    maker_page = client.get(link)
    assert maker_page.status_code == 200 and "Desk Rapid Kit" in _text(maker_page)

    login(world.staff)
    assert re.search(r'id="count-needs-route">0<', _text(client.get("/staff/")))


def test_staff_forward_by_email_with_a_note_and_a_new_link_replaces_the_old(
    client, login, world, filed, desk_maker
):
    login(world.staff)
    first = client.post(
        f"/staff/inquiries/{filed.id}/forward-by-email",
        data={"em-email": "kim@desk-maker.example", "em-note": "Mr Kim asked us to send it."},
    )
    assert first.status_code == 302
    (notice,) = _mail("inquiry_new_for_maker", "kim@desk-maker.example")
    # In Korean, the maker's language; the note as staff wrote it.
    assert "CAC 직원 메모:\nMr Kim asked us to send it." in notice.body_text
    old_link = re.search(r"(/inquiry/respond/\S+)", notice.body_text).group(1)
    inquiry = _reload(filed)
    assert inquiry.route == "email" and inquiry.route_address == "kim@desk-maker.example"
    assert db.session.get(Manufacturer, desk_maker.id).contact_email is None  # not kept on file
    assert _mail("inquiry_forwarded", BUYER)

    # Sent again to someone else: the first recipient's link stops working.
    client.post(
        f"/staff/inquiries/{filed.id}/forward-by-email",
        data={"em-email": "lee@desk-maker.example", "em-note": ""},
    )
    (second,) = _mail("inquiry_new_for_maker", "lee@desk-maker.example")
    new_link = re.search(r"(/inquiry/respond/\S+)", second.body_text).group(1)
    login(None)
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200


def test_a_failed_routing_email_brings_the_inquiry_back_to_the_desk(client, login, world, filed):
    login(world.staff)
    client.post(
        f"/staff/inquiries/{filed.id}/forward-by-email",
        data={"em-email": "bounce@desk-maker.example"},
    )
    notice = db.session.get(OutboundEmail, _reload(filed).route_email_id)
    notice.status = "failed"
    db.session.commit()
    assert re.search(r'id="count-needs-route">1<', _text(client.get("/staff/")))
    page = _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert "could not be delivered" in page and "Add a contact and forward" in page


def test_offline_contact_reached_routes_it_offline_and_keeps_the_note_for_staff(
    client, login, world, filed
):
    login(world.staff)
    response = client.post(
        f"/staff/inquiries/{filed.id}/offline-contact",
        data={"off-channel": "phone", "off-outcome": "reached",
              "off-note": "Spoke to Mr Kim, mobile 010-1234-5678"},
    )  # fmt: skip
    assert response.status_code == 302
    inquiry = _reload(filed)
    assert inquiry.route == "offline" and inquiry.status == "routed"
    assert inquiry.forwarded_by_id == world.staff.id
    assert _mail("inquiry_forwarded", BUYER)

    staff_page = _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert "Spoke to Mr Kim, mobile 010-1234-5678" in staff_page
    assert "Passed on to Desk Maker Co., Ltd. by CAC staff outside the portal" in staff_page
    assert "Add a contact and forward" not in staff_page
    assert re.search(r'id="count-needs-route">0<', _text(client.get("/staff/")))

    tracking = _tracking_page(client, login, inquiry)
    assert "Passed on to Desk Maker Co., Ltd. by CAC staff by phone." in tracking
    assert "Mr Kim" not in tracking and "010-1234-5678" not in tracking


def test_offline_contact_not_reached_is_a_staff_note_only(client, login, world, filed):
    login(world.staff)
    client.post(
        f"/staff/inquiries/{filed.id}/offline-contact",
        data={"off-channel": "fax", "off-outcome": "not_reached", "off-note": "Fax busy."},
    )
    inquiry = _reload(filed)
    assert inquiry.route == "staff_desk" and inquiry.status == "new"
    assert "Fax busy." in _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert "Fax busy." not in _tracking_page(client, login, inquiry)


def test_offline_contact_declined_closes_the_inquiry(client, login, world, filed):
    login(world.staff)
    client.post(
        f"/staff/inquiries/{filed.id}/offline-contact",
        data={"off-channel": "visit", "off-outcome": "declined", "off-note": ""},
    )
    inquiry = _reload(filed)
    assert inquiry.status == "closed" and inquiry.closed_reason == "lost"
    (closed_mail,) = _mail("inquiry_closed", BUYER)
    assert "cannot supply" in closed_mail.subject
    page = _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert "This inquiry is closed" in page and "Record a contact by phone" not in page
    assert "cannot supply this" in _tracking_page(client, login, inquiry)


def test_staff_close_an_inquiry_without_response(client, login, world):
    login(world.staff)
    inquiry = world.inquiry_a  # in the maker's portal inbox: only recording and closing apply
    page = _text(client.get(f"/staff/inquiries/{inquiry.id}"))
    assert "Add a contact and forward" not in page and "Record a contact by phone" in page
    assert '<option value="no_response">No response from the manufacturer</option>' in page
    response = client.post(
        f"/staff/inquiries/{inquiry.id}/close", data={"cl-reason": "no_response"}
    )
    assert response.status_code == 302
    inquiry = _reload(inquiry)
    assert inquiry.status == "closed" and inquiry.closed_reason == "no_response"
    assert _mail("inquiry_closed", inquiry.email)
    assert "Closed — No response from the manufacturer" in _text(
        client.get(f"/staff/inquiries/{inquiry.id}")
    )


@pytest.mark.parametrize(
    "action, data, field, message",
    [
        ("forward", {"fw-email": "not-an-address", "fw-source": "Website"}, "fw-email",
         "Invalid email address."),
        ("forward", {"fw-email": CONTACT, "fw-source": ""}, "fw-source",
         "This field is required."),
        ("forward", {"fw-email": CONTACT, "fw-source": "x" * 301}, "fw-source",
         "Field cannot be longer than 300 characters."),
        ("forward-by-email", {"em-email": "nobody@", "em-note": "Hi"}, "em-email",
         "Invalid email address."),
        ("forward-by-email", {"em-email": CONTACT, "em-note": "x" * 5001}, "em-note",
         "Field cannot be longer than 5000 characters."),
        ("offline-contact", {"off-channel": "", "off-outcome": "reached"}, "off-channel",
         "Choose how."),
        ("offline-contact", {"off-channel": "pigeon", "off-outcome": "reached"}, "off-channel",
         "Not a valid choice."),
        ("offline-contact", {"off-channel": "phone", "off-outcome": ""}, "off-outcome",
         "Choose the outcome."),
        ("close", {"cl-reason": ""}, "cl-reason", "Choose a reason."),
        ("close", {"cl-reason": "won_lottery"}, "cl-reason", "Not a valid choice."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    client, login, world, filed, desk_maker, action, data, field, message
):
    login(world.staff)
    mails, events, records = _count(OutboundEmail), _count(InquiryEvent), _count(ChangeRecord)
    response = client.post(f"/staff/inquiries/{filed.id}/{action}", data=data)
    assert response.status_code == 400
    page = _text(response)
    error = re.search(rf'<div id="{field}-error"[^>]*>([^<]*)</div>', page)
    assert error and message in error.group(1)
    inquiry = _reload(filed)
    assert inquiry.route == "staff_desk" and inquiry.status == "new"
    assert db.session.get(Manufacturer, desk_maker.id).contact_email is None
    assert (_count(OutboundEmail), _count(InquiryEvent), _count(ChangeRecord)) == (
        mails, events, records,
    )  # fmt: skip


def test_a_closed_inquiry_cannot_be_forwarded(client, login, world, filed, desk_maker):
    login(world.staff)
    client.post(f"/staff/inquiries/{filed.id}/close", data={"cl-reason": "withdrawn"})
    mails = _count(OutboundEmail)
    response = client.post(
        f"/staff/inquiries/{filed.id}/forward", data={"fw-email": CONTACT, "fw-source": "Web"}
    )
    assert response.status_code == 400 and "This inquiry is closed." in _text(response)
    assert db.session.get(Manufacturer, desk_maker.id).contact_email is None
    assert _count(OutboundEmail) == mails
    assert _reload(filed).route == "staff_desk"


def test_unknown_inquiry_is_404_for_every_action(client, login, world):
    login(world.staff)
    assert client.get("/staff/inquiries/999999").status_code == 404
    for action in ("forward", "forward-by-email", "offline-contact", "close"):
        assert client.post(f"/staff/inquiries/999999/{action}", data={}).status_code == 404


def test_invite_link_opens_the_invitation_form_prefilled(client, login, world, filed, desk_maker):
    login(world.staff)
    page = _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert f'action="/staff/manufacturers/{desk_maker.id}#users"' in page
    assert f'href="/staff/manufacturers/{desk_maker.id}#users"' in page
    form = _text(client.get(f"/staff/manufacturers/{desk_maker.id}?email=kim@desk-maker.example"))
    assert 'value="kim@desk-maker.example"' in form
    # Once an address is on file, the link carries it.
    desk_maker.contact_email = CONTACT
    db.session.commit()
    page = _text(client.get(f"/staff/inquiries/{filed.id}"))
    assert f"/staff/manufacturers/{desk_maker.id}?email=export@desk-maker.example#users" in page


def test_accepting_a_maker_invitation_moves_waiting_inquiries_to_the_portal(
    client, login, world, filed, desk_maker
):
    login(world.staff)
    client.post(
        f"/staff/manufacturers/{desk_maker.id}/invitations",
        data={"email": "kim@desk-maker.example"},
    )
    (invitation,) = _mail("invitation", "kim@desk-maker.example")
    link = re.search(r"http://localhost(/account/invitation/\S+)", invitation.body_text).group(1)
    login(None)
    response = client.post(
        link,
        data={"name": "Kim Min-jun", "password": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    inquiry = _reload(filed)
    assert inquiry.route == "portal" and inquiry.status == "routed"
    user = db.session.scalar(sa.select(User).where(User.email == "kim@desk-maker.example"))
    login(user)
    assert filed.reference in _text(client.get("/portal/inquiries/"))
    assert "In Desk Maker Co., Ltd.&#39;s portal inbox" in _tracking_page(client, login, inquiry)
    login(world.staff)
    assert re.search(r'id="count-needs-route">0<', _text(client.get("/staff/")))


def test_route_waiting_inquiries_leaves_other_makers_and_closed_ones(world, filed, desk_maker):
    other = world.inquiry_b
    assert desk.route_waiting_inquiries(desk_maker) == 1
    assert filed.route == "portal" and other.route == "portal"
    assert desk.route_waiting_inquiries(desk_maker) == 0
