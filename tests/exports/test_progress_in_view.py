"""A running brochure's progress is the first thing on the staff exports page."""

import pytest

from catalogue.exports import brochures
from catalogue.extensions import db


@pytest.fixture
def staff(make_user, login):
    return login(make_user(role="staff"))


def _order(html: str) -> tuple[int, int]:
    return html.index('id="jobs-heading"'), html.index('id="new-export"')


def test_a_running_export_comes_before_the_form(client, staff, make_product):
    make_product()
    html = client.get("/staff/exports/").get_data(as_text=True)
    jobs, form = _order(html)
    assert form < jobs  # nothing running: the form first

    job = brochures.create_brochure_job(staff, {})
    db.session.commit()
    html = client.get("/staff/exports/").get_data(as_text=True)
    jobs, form = _order(html)
    assert jobs < form
    assert html.index(f'data-status-url="/staff/exports/{job.id}/status"') < form
    assert "Exports in progress and recent" in html
