"""An inquiry's timeline in the reader's language: stored in English, said again in French,
Korean or Spanish from the values kept with each entry."""

import re
from html import unescape

import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.inquiries.models import Inquiry, InquiryEvent
from tests.inquiries.test_journey import inquiry_form

BUYER = "ana.souza@recife.example"


def _text(response) -> str:
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def _timeline(page: str) -> str:
    """The "What happened" list of a page, as text."""
    section = page.split('<ol class="timeline', 1)[1].split("</ol>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def _file(client, login, slug, language):
    """File an inquiry through the form in `language`; its tracking link and the inquiry."""
    login(None)
    headers = {"Accept-Language": language}
    response = client.post("/inquiry/new", data=inquiry_form([(slug, 500)]), headers=headers)
    assert response.status_code == 302
    confirmation = _text(client.get(response.headers["Location"], headers=headers))
    (link,) = re.findall(r'href="(/inquiry/track/[^"]+)"', confirmation)
    inquiry = db.session.scalars(sa.select(Inquiry).order_by(Inquiry.id.desc())).first()
    return link, inquiry


def _summaries(inquiry) -> list[str]:
    db.session.expire_all()
    return [e.summary for e in db.session.get(Inquiry, inquiry.id).events]


def test_a_french_officer_reads_the_timeline_in_french(client, login, world):
    link, inquiry = _file(client, login, world.product_a.slug, "fr-FR,fr;q=0.9")

    timeline = _timeline(_text(client.get(link, headers={"Accept-Language": "fr"})))
    assert "Demande envoyée via le portail." in timeline
    # "Maker A Inc." ends the sentence itself: one full stop, in French as in English.
    assert "Dans la messagerie du portail de Maker A Inc. " in timeline + " "
    assert "Inc.." not in timeline
    assert "Inquiry sent through the portal." not in timeline and "portal inbox" not in timeline

    # What is stored stays English (exports, audit), and an English reader sees it.
    assert _summaries(inquiry) == [
        "Inquiry sent through the portal.",
        "In Maker A Inc.'s portal inbox.",
    ]
    english = _timeline(_text(client.get(link, headers={"Accept-Language": "en"})))
    assert "Inquiry sent through the portal." in english
    assert "In Maker A Inc.'s portal inbox." in english


def test_the_korean_maker_and_the_officer_each_read_their_own_language(client, login, world):
    link, inquiry = _file(client, login, world.product_a.slug, "es")
    login(world.user_a)  # a maker user without a chosen language, in a Korean browser
    portal = _timeline(
        _text(client.get(f"/portal/inquiries/{inquiry.id}", headers={"Accept-Language": "ko"}))
    )
    assert "포털을 통해 문의를 보냈습니다." in portal
    assert "Maker A Inc.의 포털 받은편지함에 도착했습니다." in portal
    assert "Maker A Inc.에서 열람했습니다" in portal  # opening it was the first step it saw
    assert "Opened by" not in portal
    assert _summaries(inquiry)[-1] == "Opened by Maker A Inc."

    login(None)
    tracking = _timeline(_text(client.get(link, headers={"Accept-Language": "es"})))
    assert "Consulta enviada a través del portal." in tracking
    assert "Abierta por Maker A Inc." in tracking and "Inc.." not in tracking


def test_a_close_reason_is_said_in_the_readers_language(client, login, world):
    login(world.staff)
    inquiry = world.inquiry_a
    response = client.post(
        f"/staff/inquiries/{inquiry.id}/close", data={"cl-reason": "no_response"}
    )
    assert response.status_code == 302
    page = _timeline(
        _text(client.get(f"/staff/inquiries/{inquiry.id}", headers={"Accept-Language": "ko"}))
    )
    assert "종료됨: 제조사 응답 없음." in page  # the reason's label, in Korean
    assert _summaries(inquiry)[-1] == "Closed: No response from the manufacturer."
    (event,) = [e for e in db.session.get(Inquiry, inquiry.id).events if e.kind == "closed"]
    # The reason is kept as its key, never as translated text.
    assert event.summary_values == [
        {"message": "Closed: %(reason)s.", "values": {"reason": "no_response"},
         "labels": {"reason": "closed_reason"}}
    ]  # fmt: skip


def test_a_staff_note_keeps_its_words_in_a_translated_sentence(
    client, login, world, make_manufacturer, make_product
):
    maker = make_manufacturer(slug="desk-maker", name="Desk Maker Co., Ltd.")
    make_product(slug="desk-kit", name="Desk Rapid Kit", manufacturer=maker)
    _link, inquiry = _file(client, login, "desk-kit", "en")
    login(world.staff)
    client.post(
        f"/staff/inquiries/{inquiry.id}/offline-contact",
        data={"off-channel": "phone", "off-outcome": "not_reached", "off-note": "Line busy."},
    )
    page = _timeline(
        _text(client.get(f"/staff/inquiries/{inquiry.id}", headers={"Accept-Language": "es"}))
    )
    assert (
        "El personal de CAC contactó con Desk Maker Co., Ltd. por teléfono: No se pudo "
        "contactar con el fabricante. Nota: Line busy."
    ) in page
    assert "Desk Maker Co., Ltd. aún no está en el portal" in page
    assert _summaries(inquiry)[-1] == (
        "CAC staff contacted Desk Maker Co., Ltd. by phone: Could not reach the manufacturer. "
        "Note: Line busy."
    )


def test_an_entry_recorded_before_shows_its_english(client, login, world):
    link, inquiry = _file(client, login, world.product_a.slug, "fr")
    db.session.add(
        InquiryEvent(
            inquiry_id=inquiry.id, kind="note", actor_kind="system", summary="Checked by hand."
        )
    )
    db.session.commit()
    timeline = _timeline(_text(client.get(link, headers={"Accept-Language": "fr"})))
    assert "Checked by hand." in timeline and "Demande envoyée via le portail." in timeline


def test_removing_personal_data_reaches_the_values_of_the_timeline(
    client, login, world, make_manufacturer, make_product
):
    maker = make_manufacturer(slug="desk-maker", name="Desk Maker Co., Ltd.")
    make_product(slug="desk-kit", name="Desk Rapid Kit", manufacturer=maker)
    _link, inquiry = _file(client, login, "desk-kit", "fr")
    login(world.staff)
    client.post(
        f"/staff/inquiries/{inquiry.id}/offline-contact",
        data={"off-channel": "fax", "off-outcome": "not_reached",
              "off-note": "Ana Souza asked us to fax again."},
    )  # fmt: skip
    assert (
        client.post("/staff/privacy/erase", data={"email": BUYER, "confirm": "y"}).status_code
        == 302
    )
    for language in ("en", "fr"):
        page = _text(
            client.get(f"/staff/inquiries/{inquiry.id}", headers={"Accept-Language": language})
        )
        assert "asked us to fax again." in page and "Ana Souza" not in page
