"""Spec sheets, company profiles and brochures print where each fact stands, as the pages do."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.dates import today, utcnow
from catalogue.supplies.models import Approval, PerformanceResult, Upload

SPEC_SHEET = "/supplies/products/alpha-ag/spec-sheet.pdf"
PROFILE = "/supplies/manufacturers/alpha/profile.pdf"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Text without any whitespace: a PDF wraps lines wherever its columns end."""
    return "".join(text.split())


def printed(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    return flat(pdf_text(response.data))


def has(text: str, expected: str) -> bool:
    return flat(expected) in text


def day(value) -> str:
    return value.strftime("%-d %B %Y")


@pytest.fixture
def product(make_manufacturer, make_category, make_product):
    maker = make_manufacturer(slug="alpha", name="Alpha Bio Inc.")
    return make_product(
        slug="alpha-ag",
        name="Alpha Antigen Test",
        manufacturer=maker,
        category=make_category(slug="rapid-antigen", name="Rapid antigen tests"),
        approvals=[
            {
                "authority": "ce_ivd",
                "status": "public_source",
                "public_sources": ["https://news.example/alpha-ce"],
            }
        ],
        performance=[
            {
                "study": "Multicentre evaluation",
                "sensitivity": 94.0,
                "sensitivity_qualifier": "up to",
                "specificity": 89.4,
                "specificity_qualifier": "~",
                "sample_size": 2523,
                "reported_by": "independent",
                "status": "public_source",
                "entered_by": "seed",
                "public_sources": ["https://journal.example/eval-2021"],
                "maker_comment": "A newer lot reached 96 %.",
            }
        ],
        public_sources=["https://news.example/alpha-ce", "https://journal.example/eval-2021"],
    )


@pytest.fixture
def checker(make_user):
    return make_user(role="staff", name="Min-ji Park", email="minji@cac.example")


def test_spec_sheet_states_public_sources_by_number_and_claims_no_check(client, product):
    text = printed(client, SPEC_SHEET)
    assert has(text, "CE marking (IVD)")
    assert has(text, "Stated in a public source Source: [1]")  # the approval
    assert has(text, "Stated in a public source Source: [2]")  # the performance row
    assert not has(text, "Verified by CAC staff") and "✔" not in text
    assert not has(text, "portal staff have checked") and not has(text, "awaiting verification")
    # The list they refer to: the product's sources in order, at the end of the sheet.
    assert text.index("https://news.example/alpha-ce") < text.index("https://journal.example/eval")


def test_spec_sheet_prints_qualifiers_reporter_samples_and_the_makers_comment(client, product):
    text = printed(client, SPEC_SHEET)
    assert has(text, "up to 94 %") and has(text, "~89.4 %")
    assert has(text, "2,523 Independent evaluation")
    assert has(text, "Manufacturer's comment: A newer lot reached 96 %.")


def test_spec_sheet_prints_a_verified_approvals_evidence_with_who_and_when(
    client, product, checker
):
    approval = product.approvals[0]
    checked = today() - timedelta(days=2)
    approval.status = "verified"
    approval.verified_by = checker
    approval.verified_at = utcnow()
    approval.checked_on = checked
    approval.evidence_reference = "NB 1434-IVD-2020-0042"
    approval.evidence_url = "https://register.example/ivd/0042"
    approval.evidence_note = "Certificate matches the catalogue number."
    db.session.commit()
    text = printed(client, SPEC_SHEET)
    assert has(text, "✔ Verified by CAC staff")
    assert has(text, "Certificate or register no. checked: NB 1434-IVD-2020-0042")
    assert has(text, "Official register: https://register.example/ivd/0042")
    assert has(text, f"Checked on {day(checked)} by Min-ji Park")
    assert has(text, "Note: Certificate matches the catalogue number.")
    # No "on request" beside the word verified: its reference no. and date were not recorded.
    assert has(text, "CE marking (IVD) not recorded (see the evidence checked)")
    assert has(text, "Verified by CAC staff: CAC staff checked it against the evidence")


def test_spec_sheet_prints_expired_and_revoked_approvals(client, product):
    expired, revoked = today() - timedelta(days=1), today() - timedelta(days=30)
    product.approvals[0].valid_until = expired
    product.approvals.append(Approval(authority="fda_eua", status="revoked", revoked_on=revoked))
    product.approvals.append(Approval(authority="who_eul", status="rejected"))
    db.session.commit()
    text = printed(client, SPEC_SHEET)
    assert has(text, f"Expired Valid until {day(expired)}")
    assert has(text, f"Revoked Revoked on {day(revoked)}")
    assert not has(text, "WHO Emergency Use Listing")  # rejected: hidden from buyers


def test_spec_sheet_never_calls_an_unchecked_upload_a_certificate(client, product, checker):
    product.documents.append(
        Upload(
            kind="certificate", title="CE declaration", filename="ce.pdf",
            content_type="application/pdf", size=10240, sha256="0" * 64, storage_path="ce.pdf",
        )
    )  # fmt: skip
    db.session.commit()
    text = printed(client, SPEC_SHEET)
    assert has(text, "CE declaration (Uploaded by the manufacturer — not checked by CAC; 10 KB)")
    assert not has(text, "Certificate (checked")

    product.documents[0].checked_by_id = checker.id
    product.documents[0].checked_at = utcnow()
    db.session.commit()
    assert has(printed(client, SPEC_SHEET), "CE declaration (Certificate (checked by CAC staff)")


def test_company_permissions_and_the_profile_check_print_on_the_profile_and_spec_sheet(
    client, product, checker
):
    maker = product.manufacturer
    maker.company_permissions = [
        {"label": "MFDS export permission", "note": None, "sources": ["https://news.example/x"]}
    ]
    db.session.commit()
    profile = printed(client, PROFILE)
    assert has(profile, "Company-level permissions MFDS export permission")
    assert has(profile, "Company-level permission (not specific to one product)")
    assert has(profile, "Source: https://news.example/x")
    assert has(profile, "Company profile not verified by CAC staff.")
    assert has(profile, "CE-IVD (Stated in a public source)")
    sheet = printed(client, SPEC_SHEET)
    assert has(sheet, "Company-level permission (not specific to this product)")

    maker.verification_status = "verified"
    maker.verified_by = checker
    maker.verified_at = utcnow()
    maker.checked_on = today()
    maker.evidence_reference = "BRN 123-45-67890"
    db.session.commit()
    profile = printed(client, PROFILE)
    assert has(profile, "✔ Profile verified by CAC staff")
    assert has(profile, "Certificate or register no. checked: BRN 123-45-67890")
    assert has(profile, f"Checked on {day(today())} by Min-ji Park")


def test_brochure_prints_states_qualifiers_and_reporters(client, product, make_user, login):
    product.performance.append(
        PerformanceResult(study="Company study", sensitivity=97.0, reported_by="manufacturer")
    )
    db.session.commit()
    login(make_user(role="staff"))
    assert client.post("/staff/exports/", data={"title": "States"}).status_code == 302
    job = db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.status == "done", job.error
    response = client.get(f"/staff/exports/{job.id}/download")
    text = flat(pdf_text(response.data))
    response.close()
    assert has(text, "CE-IVD (Stated in a public source)")
    assert has(text, "up to 94 %") and has(text, "~89.4 %")
    assert has(text, "reported by: Independent evaluation; n = 2,523; Stated in a public source")
    assert has(text, "Company study; reported by: Manufacturer; Claimed by the manufacturer")
    assert not has(text, "✔ Verified")
