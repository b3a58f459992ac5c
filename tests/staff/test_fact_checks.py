"""Staff verify approvals, performance results and profiles only with the evidence of a check,
and buyers then see that evidence with who checked and when."""

from datetime import date, timedelta

import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Approval, Manufacturer, PerformanceResult

EVIDENCE = {
    "evidence_reference": "MFDS-EXP-2020-0417",
    "evidence_url": "https://example.org/register/0417",
    "checked_on": "2026-11-27",
    "evidence_note": "Listed in the register under this number.",
}


def _text(response):
    return response.get_data(as_text=True)


def _approval(world) -> Approval:
    return world.product_a.approvals[0]


def test_verifying_without_evidence_is_refused_and_changes_nothing(client, login, world):
    login(world.staff)
    approval = _approval(world)
    bare = client.post(f"/staff/claims/{approval.id}/verify", data={})
    assert bare.status_code == 400
    assert "Give the date you checked it." in _text(bare)
    assert "Add a note on what you checked." in _text(bare)

    no_reference = client.post(
        f"/staff/claims/{approval.id}/verify",
        data={"checked_on": "2026-11-27", "evidence_note": "Looked at it."},
    )
    assert no_reference.status_code == 400
    assert "the certificate or register number, or the address" in _text(no_reference)

    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = client.post(
        f"/staff/claims/{approval.id}/verify", data=EVIDENCE | {"checked_on": tomorrow}
    )
    assert future.status_code == 400 and "cannot be in the future" in _text(future)

    db.session.expire_all()
    approval = db.session.get(Approval, approval.id)
    assert approval.status == "claimed" and approval.verified_by_id is None
    assert not db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "approval_verified")
    ).all()


def test_verified_approval_shows_buyers_its_evidence_with_who_and_when(client, login, world):
    login(world.staff)
    approval = _approval(world)
    response = client.post(f"/staff/claims/{approval.id}/verify", data=EVIDENCE)
    assert response.status_code == 302

    db.session.expire_all()
    approval = db.session.get(Approval, approval.id)
    assert approval.state == "verified" and approval.verified_by_id == world.staff.id
    assert approval.checked_on == date(2026, 11, 27)
    recorded = {
        r.field
        for r in db.session.scalars(
            sa.select(ChangeRecord).where(
                ChangeRecord.entity_type == "approvals", ChangeRecord.entity_id == approval.id
            )
        )
    }
    assert {"status", "evidence_reference", "checked_on", "evidence_note"} <= recorded
    mail = db.session.scalar(
        sa.select(OutboundEmail).where(OutboundEmail.kind == "approval_verified")
    )
    assert "MFDS-EXP-2020-0417" in mail.body_text

    client.get("/account/logout")
    page = _text(client.get(f"/supplies/products/{world.product_a.slug}"))
    approvals = page.split('id="approvals"')[1].split("</section>")[0]
    assert "Verified by CAC staff" in approvals
    assert "MFDS-EXP-2020-0417" in approvals
    assert "https://example.org/register/0417" in approvals
    assert world.staff.name in approvals
    assert "27 November 2026" in approvals
    assert "Listed in the register under this number." in approvals


def test_a_verified_fact_cannot_be_verified_again(client, login, world):
    login(world.staff)
    approval = _approval(world)
    client.post(f"/staff/claims/{approval.id}/verify", data=EVIDENCE)
    client.get("/staff/claims/")  # shows (and clears) the first verification's message
    again = client.post(f"/staff/claims/{approval.id}/verify", data=EVIDENCE)
    assert again.status_code == 400 and "verified already" in _text(again)
    assert "Verified: " not in _text(again)  # no success message for what did not happen


def test_rejecting_needs_a_reason_and_hides_the_claim(client, login, world):
    login(world.staff)
    approval = _approval(world)
    assert (
        client.post(f"/staff/claims/{approval.id}/reject", data={"reason": ""}).status_code == 400
    )
    client.post(f"/staff/claims/{approval.id}/reject", data={"reason": "Not in the register."})
    db.session.expire_all()
    assert db.session.get(Approval, approval.id).state == "rejected"
    client.get("/account/logout")
    page = _text(client.get(f"/supplies/products/{world.product_a.slug}"))
    assert "CE-IVD" not in page.split('id="approvals"')[1].split("</section>")[0]


def test_staff_queue_lists_claims_and_results_by_state(client, login, world):
    login(world.staff)
    approvals = _text(client.get("/staff/claims/?status=claimed"))
    assert world.product_a.name in approvals and world.product_b.name in approvals
    results = _text(client.get("/staff/claims/performance/?status=claimed"))
    assert "Study" in results and world.product_a.name in results
    assert client.get("/staff/claims/performance/?status=nonsense").status_code == 400
    assert client.get("/staff/claims/?status=verified").status_code == 200


def test_performance_result_is_verified_only_with_evidence(client, login, world):
    login(world.staff)
    result = world.product_a.performance[0]
    refused = client.post(
        f"/staff/claims/performance/{result.id}/verify",
        data={"checked_on": "2026-11-27", "evidence_note": "x"},
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(PerformanceResult, result.id).status == "claimed"

    done = client.post(f"/staff/claims/performance/{result.id}/verify", data=EVIDENCE)
    assert done.status_code == 302
    db.session.expire_all()
    result = db.session.get(PerformanceResult, result.id)
    assert result.state_label == "Verified by CAC staff"
    assert result.evidence_reference == "MFDS-EXP-2020-0417"
    detail = _text(client.get(f"/staff/claims/performance/{result.id}"))
    assert "Verified by CAC staff" in detail and world.staff.name in detail


def test_profile_verification_needs_evidence_and_can_be_withdrawn(client, login, world):
    login(world.staff)
    maker = world.maker_a
    refused = client.post(f"/staff/manufacturers/{maker.id}/verification", data={})
    assert refused.status_code == 400
    assert "Give the date you checked it." in _text(refused)
    db.session.expire_all()
    assert db.session.get(Manufacturer, maker.id).verification_status == "unverified"

    done = client.post(f"/staff/manufacturers/{maker.id}/verification", data=EVIDENCE)
    assert done.status_code == 302
    db.session.expire_all()
    maker = db.session.get(Manufacturer, maker.id)
    assert maker.verification_status == "verified" and maker.evidence_note

    client.post(f"/staff/manufacturers/{maker.id}/verification/withdraw")
    db.session.expire_all()
    maker = db.session.get(Manufacturer, maker.id)
    assert maker.verification_status == "unverified"
    assert maker.evidence_reference is None and maker.verified_by_id is None


def test_only_staff_may_verify(client, login, world):
    approval = _approval(world)
    for user in (world.user_a, world.officer):
        login(user)
        response = client.post(f"/staff/claims/{approval.id}/verify", data=EVIDENCE)
        assert response.status_code in (403, 404)
        assert client.post(
            f"/staff/manufacturers/{world.maker_a.id}/verification", data=EVIDENCE
        ).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Approval, approval.id).status == "claimed"
