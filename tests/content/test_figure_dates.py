"""The Daily Updates page says what its dates mean: figures of the archive's last day, not
today's, and "Last updated" as the date of an edit."""

from datetime import date


def test_daily_updates_explains_the_date_of_the_newest_figures(client, make_figure):
    make_figure(day=date(2020, 6, 29))
    make_figure(day=date(2020, 6, 30))
    html = client.get("/daily-updates/").get_data(as_text=True)
    assert "the newest figures here are of 30 June 2020, the last day of the archive" in html
    assert "they are not today's counts" in html
    assert "“Last updated” date elsewhere on the portal is when that page was last edited" in html


def test_no_date_note_without_figures(client):
    html = client.get("/daily-updates/").get_data(as_text=True)
    assert "the newest figures here" not in html


def test_the_home_page_says_its_latest_figures_are_the_archives(client, make_figure):
    make_figure(day=date(2020, 6, 30), region="Korea")
    make_figure(day=date(2020, 6, 29), region="Seoul")
    html = client.get("/").get_data(as_text=True)
    assert "The newest figures of the archive the portal shows, of 30 June 2020" in html
