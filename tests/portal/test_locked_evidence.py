"""Independent evidence is locked against the maker: it may comment, not change or remove it."""

import re

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.extensions import db
from catalogue.supplies.changes import MAX_PERFORMANCE_ROWS
from catalogue.supplies.models import PerformanceResult


def _text(response):
    return response.get_data(as_text=True)


def _row(page: str, result_id: int) -> str:
    """The portal table row of one performance result."""
    return page.split(f'id="performance-{result_id}"')[1].split("</tr>")[0]


def _add_row(product, **fields) -> PerformanceResult:
    result = PerformanceResult(product=product, **fields)
    db.session.add(result)
    db.session.commit()
    return result


@pytest.fixture
def field_row(world):
    """A field study as the seed states it (entered by the seed, from a public source)."""
    return _add_row(
        world.product_a, study="Field evaluation, 2,523 people", sensitivity=77.2,
        sample_size=2523, reported_by="field", entered_by="seed", status="public_source",
        public_sources=["https://example.org/field-study"],
    )  # fmt: skip


@pytest.fixture
def regulator_row(world):
    return _add_row(
        world.product_a, study="Regulator review", sensitivity=95.0, specificity=99.0,
        reported_by="regulator", entered_by="seed", status="public_source",
    )  # fmt: skip


def _edit_url(product, result, action=""):
    return f"/portal/products/{product.id}/performance/{result.id}{action}"


def _figures(study="Own study 2021", **extra):
    return {"perf-study": study, "perf-sensitivity": "93.5", "perf-specificity": "98.0",
            "perf-sample_size": "250", "perf-reported_by": "manufacturer", **extra}  # fmt: skip


def test_the_maker_sees_independent_rows_locked_without_controls(
    client, login, world, field_row, regulator_row
):
    login(world.user_a)
    product = world.product_a
    page = _text(client.get(f"/portal/products/{product.id}/edit"))
    for result, reporter in ((field_row, "Field study"), (regulator_row, "Regulator")):
        row = _row(page, result.id)
        assert f"Reported by {reporter} — you can comment, not change it." in row
        assert _edit_url(product, result, "/delete") not in row and "Remove" not in row
        assert f'href="{_edit_url(product, result)}"' not in row and "Edit" not in row
        assert _edit_url(product, result, "/comment") in row  # a comment form instead
    own = _row(page, product.performance[0].id)
    assert "Remove" in own and "Edit" in own and "you can comment, not change it" not in own


def test_a_direct_post_to_delete_or_edit_a_locked_row_is_refused(client, login, world, field_row):
    login(world.user_a)
    product = world.product_a
    deleted = client.post(_edit_url(product, field_row, "/delete"))
    assert deleted.status_code == 403
    assert "Reported by Field study — you can comment, not change it." in _text(deleted)
    edited = client.post(_edit_url(product, field_row), data=_figures(study="Mine now"))
    assert edited.status_code == 403
    assert client.get(_edit_url(product, field_row)).status_code == 403
    db.session.expire_all()
    result = db.session.get(PerformanceResult, field_row.id)
    assert (result.study, result.sensitivity, result.sample_size) == (
        "Field evaluation, 2,523 people", 77.2, 2523,
    )  # fmt: skip
    assert (result.reported_by, result.entered_by, result.status) == (
        "field", "seed", "public_source",
    )  # fmt: skip


def test_a_row_staff_entered_is_locked_for_the_maker(client, login, world):
    product = world.product_a
    login(world.staff)
    no_source = client.post(
        f"/staff/products/{product.id}/performance", data=_figures(study="From the IFU")
    )
    assert no_source.status_code == 302
    assert not db.session.scalar(
        sa.select(PerformanceResult).where(PerformanceResult.study == "From the IFU")
    )  # staff must give the public source
    client.post(
        f"/staff/products/{product.id}/performance",
        data=_figures(study="From the IFU", **{"perf-public_source": "https://example.org/ifu"}),
    )
    result = db.session.scalar(
        sa.select(PerformanceResult).where(PerformanceResult.study == "From the IFU")
    )
    # Staff entering a figure states it from its source; it does not verify it.
    assert (result.entered_by, result.status, result.public_sources) == (
        "staff", "public_source", ["https://example.org/ifu"],
    )  # fmt: skip

    login(world.user_a)
    row = _row(_text(client.get(f"/portal/products/{product.id}/edit")), result.id)
    assert "Entered by CAC staff from a public source — you can comment, not change it." in row
    assert "Remove" not in row
    assert client.post(_edit_url(product, result, "/delete")).status_code == 403
    assert client.post(_edit_url(product, result), data=_figures()).status_code == 403
    db.session.expire_all()
    assert db.session.get(PerformanceResult, result.id).study == "From the IFU"


def test_the_maker_comments_on_a_locked_row_and_the_history_records_it(
    client, login, world, field_row
):
    login(world.user_a)
    product = world.product_a
    response = client.post(
        _edit_url(product, field_row, "/comment"),
        data={"comment": "This study used an early lot; lot 2 was re-tested at 85 %."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PerformanceResult, field_row.id).maker_comment.startswith("This study")
    page = _text(client.get(f"/portal/products/{product.id}/edit"))
    assert "Manufacturer's comment: This study used an early lot" in _row(page, field_row.id)
    history = _text(client.get(f"/portal/products/{product.id}/history"))
    assert "performance comment" in history and "lot 2 was re-tested" in history
    record = db.session.scalar(
        sa.select(ChangeRecord).where(
            ChangeRecord.entity_type == "performance_results",
            ChangeRecord.entity_id == field_row.id,
            ChangeRecord.field == "maker_comment",
        )
    )
    assert record.actor_id == world.user_a.id

    too_long = client.post(_edit_url(product, field_row, "/comment"), data={"comment": "x" * 501})
    assert too_long.status_code == 303
    db.session.expire_all()
    assert db.session.get(PerformanceResult, field_row.id).maker_comment.startswith("This study")


def test_the_makers_own_claimed_row_can_still_be_edited_and_removed(client, login, world):
    login(world.user_a)
    product = world.product_a
    own = product.performance[0]
    form = _text(client.get(_edit_url(product, own)))
    assert 'value="Study"' in form
    response = client.post(_edit_url(product, own), data=_figures(study="Clinical study 2021"))
    assert response.status_code == 302
    db.session.expire_all()
    result = db.session.get(PerformanceResult, own.id)
    assert (result.study, result.sensitivity, result.sample_size) == (
        "Clinical study 2021", 93.5, 250,
    )  # fmt: skip
    assert (result.entered_by, result.status) == ("manufacturer", "claimed")
    bad = client.post(_edit_url(product, own), data=_figures(**{"perf-sensitivity": "140"}))
    assert bad.status_code == 400

    assert client.post(_edit_url(product, own, "/delete")).status_code == 302
    db.session.expire_all()
    assert db.session.get(PerformanceResult, own.id) is None


def test_the_maker_cannot_set_status_or_entered_by(client, login, world):
    login(world.user_a)
    product = world.product_a
    smuggled = {"perf-status": "verified", "status": "verified", "perf-entered_by": "staff",
                "entered_by": "seed"}  # fmt: skip
    client.post(f"/portal/products/{product.id}/performance", data=_figures("Smuggled", **smuggled))
    added = db.session.scalar(
        sa.select(PerformanceResult).where(PerformanceResult.study == "Smuggled")
    )
    assert (added.entered_by, added.status) == ("manufacturer", "claimed")
    client.post(_edit_url(product, added), data=_figures("Smuggled again", **smuggled))
    db.session.expire_all()
    edited = db.session.get(PerformanceResult, added.id)
    assert edited.study == "Smuggled again"
    assert (edited.entered_by, edited.status) == ("manufacturer", "claimed")
    # Nor call its figures CAC staff's.
    client.post(
        f"/portal/products/{product.id}/performance",
        data=_figures("Staff, says the maker", **{"perf-reported_by": "staff"}),
    )
    assert not db.session.scalar(
        sa.select(PerformanceResult).where(PerformanceResult.study == "Staff, says the maker")
    )


def test_a_regulator_row_the_maker_adds_is_locked_and_waits_for_staff(client, login, world):
    login(world.user_a)
    product = world.product_a
    page = _text(client.get(f"/portal/products/{product.id}/edit"))
    assert "Figures reported by anyone but the manufacturer are locked once added" in page
    client.post(
        f"/portal/products/{product.id}/performance",
        data=_figures("MFDS review", **{"perf-reported_by": "regulator",
                                        "perf-public_source": "https://example.org/mfds"}),
    )  # fmt: skip
    result = db.session.scalar(
        sa.select(PerformanceResult).where(PerformanceResult.study == "MFDS review")
    )
    assert (result.entered_by, result.status) == ("manufacturer", "claimed")
    assert result.public_sources == ["https://example.org/mfds"]
    assert client.post(_edit_url(product, result, "/delete")).status_code == 403
    db.session.expire_all()
    assert db.session.get(PerformanceResult, result.id) is not None


def test_the_number_of_rows_per_product_is_bounded(client, login, world):
    login(world.user_a)
    product = world.product_a
    for n in range(MAX_PERFORMANCE_ROWS - 1):  # the world's own row makes it full
        db.session.add(
            PerformanceResult(product=product, study=f"Study {n}", reported_by="manufacturer")
        )
    db.session.commit()
    response = client.post(
        f"/portal/products/{product.id}/performance", data=_figures("One too many")
    )
    assert response.status_code == 303
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PerformanceResult)
        .where(PerformanceResult.product_id == product.id)
    )
    assert count == MAX_PERFORMANCE_ROWS
    page = _text(client.get(f"/portal/products/{product.id}/edit"))
    assert re.search(rf"at most {MAX_PERFORMANCE_ROWS} performance figures", page)
