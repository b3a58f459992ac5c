"""Inquiry mail in each recipient's language: the officer's as they filed, the maker's Korean."""

import re
from email.header import decode_header, make_header

import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry
from catalogue.mail.delivery import deliver_pending
from tests.inquiries.test_journey import inquiry_form

BUYER = "ana.souza@recife.example"


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")


def _about(inbox, address, inquiry):
    """The one message to `address` about this inquiry."""
    (message,) = [m for m in inbox.to(address) if inquiry.reference in _subject(m)]
    return message


def _file_in_spanish(client, login, products):
    login(None)
    response = client.post(
        "/inquiry/new", data=inquiry_form(products), headers={"Accept-Language": "es-MX,es;q=0.9"}
    )
    assert response.status_code == 302
    return db.session.scalars(sa.select(Inquiry).order_by(Inquiry.id)).all()[-len(products) :]


def test_officer_writing_in_spanish_gets_spanish_and_the_maker_korean(
    client, login, world, smtp_server
):
    (inquiry,) = _file_in_spanish(client, login, [(world.product_a.slug, 5000)])
    assert inquiry.language == "es"
    deliver_pending()

    (confirmation,) = smtp_server.inbox.to(BUYER)
    subject, body = _subject(confirmation), _body(confirmation)
    assert subject == f"Su consulta {inquiry.reference}"
    assert body.startswith("Estimado/a Ana Souza:")
    assert "Gracias por su consulta" in body
    # The quantity in Spanish figures, the product's name as entered.
    assert f"5.000 pruebas de {world.product_a.name}" in body
    assert f"En la bandeja de entrada de {world.maker_a.name} en el portal" in body
    assert "Seguimiento y respuesta: http" in body and "/inquiry/track/" in body
    assert "Thank you for your inquiry" not in body

    # The maker's portal user has chosen no language: makers read Korean.
    notice = _about(smtp_server.inbox, world.user_a.email, inquiry)
    subject, body = _subject(notice), _body(notice)
    assert subject == f"새 구매 문의 {inquiry.reference} (Recife City Health Department)"
    assert f"구매자가 {world.maker_a.name}에 문의를 보냈습니다" in body
    assert f"문의 번호: {inquiry.reference}" in body
    # The country by its Korean name, not its code; the quantity in Korean figures.
    assert "Ana Souza, Procurement officer — Recife City Health Department, Recife (브라질)" in body
    assert f"{world.product_a.name} 5,000 테스트" in body
    assert "제조사 포털에서 답변하십시오" in body
    assert f"/portal/inquiries/{inquiry.id}" in body
    assert "A buyer has sent" not in body


def test_a_maker_user_who_chose_english_gets_english(client, login, world, smtp_server):
    world.user_a.language = "en"
    db.session.commit()
    (inquiry,) = _file_in_spanish(client, login, [(world.product_a.slug, 200)])
    deliver_pending()
    notice = _about(smtp_server.inbox, world.user_a.email, inquiry)
    assert _subject(notice) == (
        f"New inquiry {inquiry.reference} from Recife City Health Department"
    )
    assert "A buyer has sent Maker A Inc. an inquiry" in _body(notice)
    assert "Su consulta" in _subject(smtp_server.inbox.to(BUYER)[0])


def test_a_maker_off_the_portal_is_mailed_in_korean_with_its_private_link(
    client, login, make_manufacturer, make_product, smtp_server
):
    maker = make_manufacturer(slug="mail-maker", name="Mail Maker Co., Ltd.")
    maker.contact_email = "export@mail-maker.example"
    make_product(slug="mail-kit", name="Mail Rapid Kit", manufacturer=maker)
    db.session.commit()
    (inquiry,) = _file_in_spanish(client, login, [("mail-kit", 300)])
    deliver_pending()

    (notice,) = smtp_server.inbox.to("export@mail-maker.example")
    body = _body(notice)
    assert "서울특별시 CAC 의료물품 수출 포털을 통해" in body
    assert "계정 없이 이 비공개 링크로" in body and "/inquiry/respond/" in body
    assert "Mail Rapid Kit 300 테스트" in body
    # The officer is told in Spanish how it travels.
    officer_body = _body(smtp_server.inbox.to(BUYER)[0])
    assert "Mail Maker Co., Ltd." in officer_body
    # One full stop after a name that ends with one.
    assert "Estado actual: En envío por correo electrónico a Mail Maker Co., Ltd.\n" in officer_body


def test_the_maker_sees_the_officers_language_on_the_inquiry(client, login, world):
    (inquiry,) = _file_in_spanish(client, login, [(world.product_a.slug, 100)])
    login(world.user_a)
    page = client.get(f"/portal/inquiries/{inquiry.id}", headers={"Accept-Language": "en"})
    assert re.search(
        r"<dt>Officer.s language</dt><dd lang=\"es\">Español</dd>", page.get_data(as_text=True)
    )


def test_without_a_language_english_stays_word_for_word(client, login, world, smtp_server):
    login(None)
    client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 5000)]))
    deliver_pending()
    inquiry = db.session.scalars(sa.select(Inquiry).order_by(Inquiry.id.desc())).first()
    assert inquiry.language == "en"
    body = _body(smtp_server.inbox.to(BUYER)[0])
    assert body.startswith("Dear Ana Souza,\n\nThank you for your inquiry.")
    assert f"  5,000 tests of {world.product_a.name}\n" in body
    assert body.rstrip().endswith(
        "CAC Medical Supplies Export Portal — Seoul Metropolitan Government"
    )


def test_the_makers_reminder_is_dated_the_korean_way(client, login, world, smtp_server):
    from datetime import timedelta

    from babel.dates import format_date

    from catalogue.inquiries.tasks import escalate_overdue
    from catalogue.lib.dates import utcnow

    (inquiry,) = _file_in_spanish(client, login, [(world.product_a.slug, 100)])
    assert escalate_overdue(utcnow() + timedelta(days=7))["reminded"] == 1
    deliver_pending()

    notice, reminder = [
        m for m in smtp_server.inbox.to(world.user_a.email) if inquiry.reference in _subject(m)
    ]
    filed_on = format_date(inquiry.created_at.date(), "long", locale="ko")  # "2026년 12월 1일"
    assert filed_on in _body(reminder) and filed_on not in _body(notice)
    assert inquiry.created_at.strftime("%B") not in _body(reminder)  # no English month name


def test_the_staff_digest_names_the_country_in_korean(
    client, login, world, make_manufacturer, make_product
):
    from catalogue.inquiries.tasks import send_daily_digest
    from catalogue.mail.models import OutboundEmail

    maker = make_manufacturer(slug="desk-maker", name="Desk Maker Co., Ltd.")
    make_product(slug="desk-kit", name="Desk Rapid Kit", manufacturer=maker)
    db.session.commit()
    (inquiry,) = _file_in_spanish(client, login, [("desk-kit", 2500)])
    assert inquiry.route == "staff_desk"

    assert send_daily_digest() is True

    (digest,) = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "inquiry_digest")
    ).all()
    assert digest.to_address == world.staff.email
    assert "Recife City Health Department(브라질)" in digest.body_text
    assert "(BR)" not in digest.body_text
    # The desk's own notice names it and counts the tests the Korean way too.
    (desk,) = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "inquiry_staff_desk")
    ).all()
    assert "(브라질)" in desk.body_text and "Desk Rapid Kit 2,500 테스트" in desk.body_text
