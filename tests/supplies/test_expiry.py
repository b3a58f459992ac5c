"""Approval validity: makers reminded 30 and 7 days before expiry, each reminder exactly once;
validity dates and revocations entered by makers and staff; staff see what expires soon."""

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.lib.dates import today
from catalogue.mail.models import OutboundEmail
from catalogue.supplies.models import Approval, ExpiryReminder
from catalogue.supplies.tasks import note_expired_approvals, remind_expiring_approvals

D = date(2031, 6, 30)  # a valid-until date; every run below passes its own "today"
UNTIL_BEFORE_FROM = "“Valid until” must be after “valid from”."


def _mail(kind="approval_expiry_reminder"):
    return db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.kind == kind).order_by(OutboundEmail.id)
    ).all()


def _reminders(approval):
    return db.session.scalars(
        sa.select(ExpiryReminder.days_before)
        .where(ExpiryReminder.approval_id == approval.id)
        .order_by(ExpiryReminder.id)
    ).all()


def _reload(approval) -> Approval:
    db.session.expire_all()
    return db.session.get(Approval, approval.id)


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def approval(world):
    """Maker A's claimed CE approval, valid until D (maker A has one active, one inactive user)."""
    approval = world.product_a.approvals[0]
    approval.valid_from, approval.valid_until = date(2026, 7, 1), D
    db.session.commit()
    return approval


def test_each_reminder_goes_once_to_the_makers_active_users(world, approval):
    assert remind_expiring_approvals(D - timedelta(days=31)) == 0
    assert remind_expiring_approvals(D - timedelta(days=30)) == 1
    assert remind_expiring_approvals(D - timedelta(days=30)) == 0  # a second run the same day
    assert remind_expiring_approvals(D - timedelta(days=29)) == 0
    assert remind_expiring_approvals(D - timedelta(days=8)) == 0
    assert remind_expiring_approvals(D - timedelta(days=7)) == 1
    assert remind_expiring_approvals(D - timedelta(days=7)) == 0
    assert remind_expiring_approvals(D - timedelta(days=1)) == 0
    assert remind_expiring_approvals(D + timedelta(days=1)) == 0

    thirty, seven = _mail()
    # The active user only: the deactivated one and the other maker's user hear nothing.
    assert [thirty.to_address, seven.to_address] == [world.user_a.email] * 2
    # The maker's user chose no language: makers read Korean, dates in the Korean form too.
    assert "2031년 6월 30일" in thirty.subject and world.product_a.name in thirty.subject
    assert "오늘부터 30일" in thirty.body_text  # makers read Korean: "30 days from today"
    assert "오늘부터 7일" in seven.body_text
    assert f"/portal/approvals/{approval.id}/edit" in seven.body_text
    assert _reminders(approval) == [30, 7]


def test_a_missed_day_still_sends_the_reminder_that_is_due(approval):
    assert remind_expiring_approvals(D - timedelta(days=29)) == 1  # D-30 was missed
    assert remind_expiring_approvals(D - timedelta(days=28)) == 0
    assert remind_expiring_approvals(D - timedelta(days=5)) == 1  # D-7 was missed
    assert _reminders(approval) == [30, 7]
    assert len(_mail()) == 2


def test_a_job_first_run_near_expiry_sends_only_the_seven_day_reminder(approval):
    assert remind_expiring_approvals(D - timedelta(days=3)) == 1
    assert remind_expiring_approvals(D - timedelta(days=2)) == 0
    assert _reminders(approval) == [7]
    (mail,) = _mail()
    assert "오늘부터 3일" in mail.body_text and "오늘부터 30일" not in mail.body_text


def test_no_reminder_after_expiry(approval):
    assert remind_expiring_approvals(D + timedelta(days=1)) == 0
    assert not _mail() and not _reminders(approval)


@pytest.mark.parametrize("status", ["revoked", "rejected"])
def test_no_reminder_for_a_revoked_or_rejected_approval(approval, status):
    approval.status = status
    db.session.commit()
    for days in (30, 7):
        assert remind_expiring_approvals(D - timedelta(days=days)) == 0
    assert not _mail() and not _reminders(approval)


def test_a_renewed_approval_gets_new_reminders(client, login, world, approval):
    remind_expiring_approvals(D - timedelta(days=30))
    remind_expiring_approvals(D - timedelta(days=7))
    assert len(_mail()) == 2

    renewed = date(2032, 6, 30)
    login(world.staff)
    response = client.post(
        f"/staff/approvals/{approval.id}/validity",
        data={"valid_from": D.isoformat(), "valid_until": renewed.isoformat()},
    )
    assert response.status_code == 302
    assert _reload(approval).valid_until == renewed
    assert remind_expiring_approvals(renewed - timedelta(days=30)) == 1
    assert remind_expiring_approvals(renewed - timedelta(days=7)) == 1
    assert remind_expiring_approvals(renewed - timedelta(days=7)) == 0
    assert len(_mail()) == 4
    assert "2032년 6월 30일" in _mail()[-1].subject  # in Korean, the maker's language
    audited = db.session.scalars(
        sa.select(ChangeRecord.new_value).where(
            ChangeRecord.entity_type == "approvals",
            ChangeRecord.entity_id == approval.id,
            ChangeRecord.field == "valid_until",
            ChangeRecord.actor_id == world.staff.id,
        )
    ).all()
    assert audited == [renewed.isoformat()]


def test_a_maker_without_portal_users_is_reminded_once_a_user_joins(
    make_manufacturer, make_product, make_user
):
    maker = make_manufacturer()
    product = make_product(
        manufacturer=maker, approvals=[{"authority": "ce_ivd", "valid_until": D}]
    )
    assert remind_expiring_approvals(D - timedelta(days=30)) == 0
    assert not _reminders(product.approvals[0])  # nothing claimed for nobody
    user = make_user(role="manufacturer", manufacturer_id=maker.id)
    assert remind_expiring_approvals(D - timedelta(days=29)) == 1
    assert [m.to_address for m in _mail()] == [user.email]


def test_the_cli_command_sends_the_due_reminders_once(runner, approval):
    approval.valid_until = today() + timedelta(days=30)
    db.session.commit()
    first = runner.invoke(args=["supplies", "remind-expiry"])
    assert first.exit_code == 0 and "expiry reminders sent: 1" in first.output
    second = runner.invoke(args=["supplies", "remind-expiry"])
    assert "expiry reminders sent: 0" in second.output
    assert len(_mail()) == 1


# --- Validity dates and revocations in the forms ----------------------------------------------


def test_the_maker_form_refuses_valid_until_before_valid_from(client, login, world):
    login(world.user_a)
    before = db.session.scalar(sa.select(sa.func.count(Approval.id)))
    response = client.post(
        f"/portal/products/{world.product_a.id}/approvals/new",
        data={"authority": "fda_eua", "valid_from": "2021-06-01", "valid_until": "2021-05-31"},
    )
    assert response.status_code == 400
    assert UNTIL_BEFORE_FROM in _text(response)
    assert db.session.scalar(sa.select(sa.func.count(Approval.id))) == before

    response = client.post(
        f"/portal/products/{world.product_a.id}/approvals/new",
        data={"authority": "fda_eua", "valid_until": "31/05/2021"},
    )
    assert response.status_code == 400 and "Not a valid date value" in _text(response)


def test_a_maker_saves_validity_and_a_change_sends_a_verified_approval_back(client, login, world):
    approval = world.product_a.approvals[0]
    approval.status = "verified"
    db.session.commit()
    login(world.user_a)
    page = _text(client.get(f"/portal/approvals/{approval.id}/edit"))
    assert 'name="valid_until"' in page
    response = client.post(
        f"/portal/approvals/{approval.id}/edit",
        data={"authority": "ce_ivd", "valid_from": "2021-06-01", "valid_until": "2026-05-31"},
    )
    assert response.status_code == 302
    saved = _reload(approval)
    assert (saved.valid_from, saved.valid_until) == (date(2021, 6, 1), date(2026, 5, 31))
    assert saved.status == "claimed"
    assert 'value="2026-05-31"' in _text(client.get(f"/portal/approvals/{approval.id}/edit"))


def test_staff_validity_form_refuses_valid_until_before_valid_from(client, login, world, approval):
    login(world.staff)
    response = client.post(
        f"/staff/approvals/{approval.id}/validity",
        data={"valid_from": "2031-01-01", "valid_until": "2030-12-31"},
    )
    assert response.status_code == 400 and UNTIL_BEFORE_FROM in _text(response)
    assert _reload(approval).valid_until == D


def test_staff_revoke_an_approval_with_its_date(client, login, world, approval):
    login(world.staff)
    refused = client.post(f"/staff/approvals/{approval.id}/revoke", data={})
    assert refused.status_code == 400
    assert "Give the date the approval was revoked." in _text(refused)
    future = (today() + timedelta(days=3)).isoformat()
    refused = client.post(f"/staff/approvals/{approval.id}/revoke", data={"revoked_on": future})
    assert refused.status_code == 400 and "cannot be in the future" in _text(refused)
    assert _reload(approval).status == "claimed"

    response = client.post(
        f"/staff/approvals/{approval.id}/revoke", data={"revoked_on": "2021-03-02"}
    )
    assert response.status_code == 302
    revoked = _reload(approval)
    assert (revoked.status, revoked.revoked_on) == ("revoked", date(2021, 3, 2))
    assert revoked.state_label == "Revoked"
    page = _text(client.get(f"/staff/approvals/{approval.id}/validity"))
    assert '<dd id="approval-state">Revoked</dd>' in page
    listed = _text(client.get("/staff/approvals/expiry/"))
    revoked_table = listed.split('id="revoked-table"')[1].split("</table>")[0]
    assert f"/staff/claims/{approval.id}" in revoked_table and "Revoked" in revoked_table
    history = db.session.execute(
        sa.select(ChangeRecord.field, ChangeRecord.new_value, ChangeRecord.actor_id).where(
            ChangeRecord.entity_type == "approvals", ChangeRecord.entity_id == approval.id
        )
    ).all()
    assert ("status", "revoked", world.staff.id) in history
    assert ("revoked_on", "2021-03-02", world.staff.id) in history
    (told,) = _mail("approval_revoked")
    # In Korean, the maker's language (its user chose none).
    assert told.to_address == world.user_a.email and "2021년 3월 2일" in told.body_text

    # The maker cannot edit the revocation away (an edit would make it "claimed" again).
    login(world.user_a)
    response = client.post(
        f"/portal/approvals/{approval.id}/edit",
        data={"authority": "ce_ivd", "valid_until": "2035-01-01"},
    )
    assert response.status_code == 400 and "revoked" in _text(response)
    assert _reload(approval).status == "revoked" and _reload(approval).valid_until == D


# --- What staff see -------------------------------------------------------------------------


def test_staff_see_expiring_and_expired_approvals(client, login, world, approval):
    approval.valid_until = today() + timedelta(days=20)
    expired = world.product_b.approvals[0]
    expired.valid_until = today() - timedelta(days=3)
    db.session.commit()
    login(world.staff)
    page = _text(client.get("/staff/"))
    expiring = page.split('id="expiring-list"')[1].split("</ul>")[0]
    assert f'href="/staff/claims/{approval.id}"' in expiring
    assert world.product_a.name in expiring and world.product_b.name not in expiring
    assert "(1 expired)" in page

    listed = _text(client.get("/staff/approvals/expiry/"))
    expired_table = listed.split('id="expired-table"')[1].split("</table>")[0]
    assert f'href="/staff/claims/{expired.id}"' in expired_table and "Expired" in expired_table
    expiring_table = listed.split('id="expiring-table"')[1].split("</table>")[0]
    assert f'href="/staff/claims/{approval.id}"' in expiring_table


def test_an_approval_beyond_sixty_days_is_not_listed_as_expiring(client, login, world, approval):
    approval.valid_until = today() + timedelta(days=61)
    db.session.commit()
    login(world.staff)
    assert "No approval expires within 60 days." in _text(client.get("/staff/"))


# --- Several processes at once --------------------------------------------------------------


@pytest.mark.postgresql
def test_two_runs_racing_send_each_reminder_once(app_factory, backend, tmp_path):
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    app = app_factory("test_expiry_race", **overrides)
    with app.app_context():
        from catalogue.accounts.models import User
        from catalogue.supplies.models import Category, Manufacturer, Product

        db.create_all()
        maker = Manufacturer(slug="m", name="M")
        category = Category(slug="c", name="C", kind="diagnostic_reagent")
        for n in range(20):
            db.session.add(
                Product(
                    slug=f"p{n}", name=f"P{n}", manufacturer=maker, category=category,
                    approvals=[Approval(authority="ce_ivd", status="claimed", valid_until=D)],
                )
            )  # fmt: skip
        for n in range(2):
            db.session.add(User(email=f"u{n}@m.example", role="manufacturer", manufacturer=maker))
        db.session.commit()
        db.session.remove()

    start, counts, errors = threading.Barrier(2), [], []

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                counts.append(remind_expiring_approvals(D - timedelta(days=30)))
                db.session.remove()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(counts) == 20
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ExpiryReminder.id))) == 20
        assert db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))) == 40
        db.session.remove()


def test_the_day_an_approval_lapses_buyers_read_expired_on_cached_pages(client, world):
    """Nothing is edited on the day an approval lapses: the job notes it, once, so the cached
    product page and the stored spec sheet move on."""
    product = world.product_a
    approval = product.approvals[0]
    approval.valid_until = today()
    db.session.commit()
    url = f"/supplies/products/{product.slug}"
    assert "Expired" not in _approvals_text(client.get(url))  # now in the page cache
    db.session.execute(  # a day passes: the same validity has now ended, with no edit
        sa.update(Approval.__table__)
        .where(Approval.__table__.c.id == approval.id)
        .values(valid_until=today() - timedelta(days=1))
    )
    db.session.commit()
    assert "Expired" not in _approvals_text(client.get(url))  # the cache has not moved on

    assert note_expired_approvals() == 1
    assert note_expired_approvals() == 0  # noted once
    assert "Expired" in _approvals_text(client.get(url))


def _approvals_text(response) -> str:
    return _text(response).split('id="approvals"')[1].split("</section>")[0]
