"""The public CAC sections, on the seeded site."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from catalogue.content.models import DailyFigure, NetworkLink
from catalogue.extensions import db

SECTION_PAGES = {
    "/mayors-note/": "Speed and transparency as the first principles",
    "/countermeasures/": "Drive-through screening stations",
    "/news/": "International video conference: CAC Global Summit",
    "/cities-network/": "Jakarta",
    "/daily-updates/": "2020-06-30",
}


def _figures(region, start=None, end=None):
    stmt = sa.select(DailyFigure).where(DailyFigure.region == region).order_by(DailyFigure.day)
    if start:
        stmt = stmt.where(DailyFigure.day >= start)
    if end:
        stmt = stmt.where(DailyFigure.day <= end)
    return db.session.scalars(stmt).all()


@pytest.mark.parametrize("path,expected", SECTION_PAGES.items())
def test_every_section_page_shows_seeded_content(seeded_client, path, expected):
    response = seeded_client.get(path)
    assert response.status_code == 200
    assert expected in response.text


def test_header_lists_every_section(seeded_client):
    page = seeded_client.get("/").text
    for label, path in [
        ("Mayor&#39;s Note", "/mayors-note/"),
        ("Daily Updates", "/daily-updates/"),
        ("Countermeasures", "/countermeasures/"),
        ("Cities Network", "/cities-network/"),
        ("News", "/news/"),
    ]:
        assert f'href="{path}"' in page and label in page


def test_home_shows_search_latest_figures_and_newest_articles(seeded_client):
    page = seeded_client.get("/").text
    assert 'name="q"' in page and "Catalogue categories" in page
    assert "30 June 2020" in page and "12,799" in page  # Korea's cumulative on the last day
    assert "/daily-updates/trend-Seoul.svg" in page
    assert "Cities standing together" in page  # the newest Mayor's Note
    assert "International video conference" in page  # the newest news item


def test_mayors_note_is_labelled_as_editorial_summary(seeded_client):
    page = seeded_client.get("/mayors-note/speed-and-transparency").text
    assert "Editorial summary" in page and "not the Mayor" in page.replace(
        "Not the Mayor", "not the Mayor"
    )
    assert "koreatimes.co.kr" in page  # its source is listed


def test_article_page_renders_markdown_and_sources(seeded_client):
    page = seeded_client.get("/countermeasures/extra-screening-centres-itaewon").text
    assert "<li>a <strong>walk-through screening centre</strong> in Hannam-dong" in page
    assert 'href="http://global.seoul.go.kr/' in page


def test_unknown_article_is_404(seeded_client):
    assert seeded_client.get("/news/no-such-item").status_code == 404
    # A news slug is not reachable under another section.
    assert seeded_client.get("/mayors-note/cac-platform-launch").status_code == 404


def test_news_is_paginated_newest_first(seeded_client):
    first = seeded_client.get("/news/").text
    second = seeded_client.get("/news/?page=2").text
    titles_first = re.findall(r'<h2 class="h5 mb-1"><a href="/news/([^"]+)"', first)
    titles_second = re.findall(r'<h2 class="h5 mb-1"><a href="/news/([^"]+)"', second)
    assert len(titles_first) == 10 and titles_second
    assert not set(titles_first) & set(titles_second)
    assert titles_first[0] == "cac-global-summit-2020"
    # Dated items newest first, then the undated one, however recent its public-from date.
    assert titles_second[-2:] == ["supplementary-budget-march-2020", "cac-two-million-views"]
    assert 'rel="next"' in first
    assert seeded_client.get("/news/?page=50").status_code == 404
    assert seeded_client.get("/news/?page=abc").status_code == 400


def test_countermeasures_are_grouped_by_category(seeded_client):
    page = seeded_client.get("/countermeasures/").text
    headings = re.findall(r'<h2 id="([a-z-]+)-heading"', page)
    assert headings == [
        "screening",
        "testing-tracing",
        "quarantine-disinfection",
        "international-arrivals",
        "foreign-residents",
        "travellers",
        "livelihoods",
    ]
    screening = page.split('id="screening"')[1].split("</section>")[0]
    assert "Drive-through screening stations" in screening and "Walk-in" in screening
    assert "Anonymous testing" not in screening


def test_cities_network_shows_each_entry_with_its_source_and_says_what_the_list_is(
    seeded_client,
):
    page = seeded_client.get("/cities-network/").text
    entries = page.split('<li class="network-entry">')[1:]
    assert len(entries) == db.session.scalar(sa.select(sa.func.count()).select_from(NetworkLink))
    for entry in entries:
        assert "Source:" in entry and re.search(r'<a href="https?://[^"]+" rel="noopener', entry)
    london = next(e for e in entries if ">London</h2>" in e)
    assert 'href="https://www.london.gov.uk/"' in london
    assert 'href="http://www.koreaherald.com/view.php?ud=20200602000912"' in london
    assert "2 June 2020" in london and "Sadiq Khan" in london
    maryland = next(e for e in entries if ">State of Maryland</h2>" in e)
    assert "No official address recorded" in maryland and "maryland.gov" not in maryland
    # What the list is, and why it is shorter than CAC's own.
    assert "Global Summit 2020" in page and "74 cities and 12 international organisations" in page
    assert "has not been found" in page
    assert "14 entries: 12 cities, 1 state, 1 international organisation." in page
    external = re.findall(
        r'<a href="https?://[^"]+"[^>]*>', page.split('class="list-unstyled network-list"')[1]
    )
    assert external and all('rel="noopener noreferrer' in a for a in external)


def test_cities_network_hides_links_without_a_source(client, make_link):
    make_link(name="Sourced City")
    make_link(name="Unsourced City", source_url=None, source_says=None)
    page = client.get("/cities-network/").text
    assert "Sourced City" in page and "Unsourced City" not in page
    assert "1 entry: 1 city, 0 states, 0 international organisations." in page


def test_cities_network_filters_by_kind_and_region(seeded_client):
    orgs = seeded_client.get("/cities-network/?kind=organisation").text
    assert "WeGO" in orgs and ">Seoul</h2>" not in orgs
    europe = seeded_client.get("/cities-network/?kind=city&region=Europe").text
    assert ">Budapest</h2>" in europe and ">Jakarta</h2>" not in europe and "WeGO" not in europe
    assert "4 entries of 14 match the filter." in europe
    assert seeded_client.get("/cities-network/?region=Atlantis").status_code == 400
    assert seeded_client.get("/cities-network/?kind=planet").status_code == 400


def test_articles_show_a_date_only_where_a_source_gives_one(seeded_client):
    note = seeded_client.get("/mayors-note/speed-and-transparency").text
    assert "Undated" in note and "15 May 2020" not in note and "Published" not in note
    views = seeded_client.get("/news/cac-two-million-views").text
    date_line = views.split('class="small text-body-secondary article-date">')[1].split("</p>")[0]
    assert date_line.strip().startswith("Undated")
    assert 'Figures as of <time datetime="2020-05-05">5 May 2020</time>' in date_line
    budget = seeded_client.get("/news/supplementary-budget-march-2020").text
    assert '<time datetime="2020-03-19">19 March 2020</time>' in budget
    assert "(date from Asia Business Daily, 19 March 2020)" in budget
    listing = seeded_client.get("/mayors-note/").text
    assert listing.count("Undated") == 3 and "15 May 2020" not in listing
    news = seeded_client.get("/news/?page=2").text
    assert "Undated" in news and "figures as of" in news


def test_daily_updates_switches_region_and_filters_dates(seeded_client):
    page = seeded_client.get("/daily-updates/?region=Korea&start=2020-03-10&end=2020-03-12").text
    dates = re.findall(r'<th scope="row"><time datetime="([\d-]+)"', page)
    assert dates == ["2020-03-12", "2020-03-11", "2020-03-10"]
    korea = _figures("Korea", date(2020, 3, 12), date(2020, 3, 12))[0]
    assert f"{korea.cumulative_confirmed:,}" in page
    seoul = seeded_client.get("/daily-updates/?start=2020-03-12&end=2020-03-12").text
    assert (
        f"{_figures('Seoul', date(2020, 3, 12), date(2020, 3, 12))[0].cumulative_confirmed:,}"
        in seoul
    )
    assert "Tests (people, cumulative)" in seoul


def test_daily_updates_credits_ds4c_and_notes_the_reporting_change(seeded_client):
    page = seeded_client.get("/daily-updates/").text
    assert "DS4C" in page and "CC BY-NC-SA 4.0" in page
    assert "Reporting time changed on 2 March 2020" in page
    assert "8-hour day" in page


@pytest.mark.parametrize(
    "query,message",
    [
        ("start=2020-13-01", "is not a date"),
        ("start=2020-05-01&end=2020-04-01", "end date is before the start date"),
        ("region=Mars", "Choose Seoul or Korea"),
    ],
)
def test_bad_date_filter_is_a_400_with_a_message(seeded_client, query, message):
    response = seeded_client.get(f"/daily-updates/?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert seeded_client.get(f"/daily-updates.csv?{query}").status_code == 400


def _svg_values(svg: str) -> list[int]:
    return [int(v.replace(",", "")) for v in re.findall(r'<desc class="value">([^<]*)</desc>', svg)]


def test_chart_is_server_rendered_svg_whose_points_match_the_figures(seeded_client):
    response = seeded_client.get(
        "/daily-updates/chart-totals.svg?region=Korea&start=2020-04-01&end=2020-04-20"
    )
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.text
    assert "<script" not in svg and "pygal" in svg
    figures = _figures("Korea", date(2020, 4, 1), date(2020, 4, 20))
    expected = (
        [f.cumulative_confirmed for f in figures]
        + [f.released for f in figures]
        + [f.deaths for f in figures]
    )
    assert _svg_values(svg) == expected


def test_new_cases_and_tests_charts_match_the_figures(seeded_client):
    figures = _figures("Seoul", date(2020, 2, 20), date(2020, 3, 5))
    svg = seeded_client.get("/daily-updates/chart-new.svg?start=2020-02-20&end=2020-03-05").text
    assert _svg_values(svg) == [f.new_confirmed for f in figures]
    korea = _figures("Korea", date(2020, 5, 1), date(2020, 5, 7))
    svg = seeded_client.get(
        "/daily-updates/chart-tests.svg?region=Korea&start=2020-05-01&end=2020-05-07"
    ).text
    assert _svg_values(svg) == [f.tests for f in korea]
    assert seeded_client.get("/daily-updates/chart-pie.svg").status_code == 404


def test_daily_page_references_the_charts_as_images(seeded_client):
    page = seeded_client.get("/daily-updates/?region=Korea").text
    assert '<img class="img-fluid chart" src="/daily-updates/chart-new.svg?region=Korea' in page
    assert "chart-tests.svg" in page
    # No test counts per region: Seoul has no tests chart.
    assert "chart-tests.svg" not in seeded_client.get("/daily-updates/").text


def test_csv_download_is_plain_csv_with_its_source_on_every_row(seeded_client):
    response = seeded_client.get("/daily-updates.csv?region=Korea&start=2020-03-01&end=2020-03-31")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    link = response.headers["Link"]
    assert '<https://creativecommons.org/licenses/by-nc-sa/4.0/>; rel="license"' in link
    assert '</daily-updates/>; rel="describedby"' in link
    rows = list(csv.DictReader(io.StringIO(response.text)))  # the header is the first line
    assert len(rows) == 31 and {r["region"] for r in rows} == {"Korea"}
    assert all("DS4C" in r["source"] and "CC BY-NC-SA 4.0" in r["source"] for r in rows)
    march_15 = next(r for r in rows if r["date"] == "2020-03-15")
    assert march_15["cumulative_confirmed"] == "8126"  # the source's value, kept as it is
    # The time of day changed on 2020-03-02 (KCDC's 00:00 release from then on).
    assert rows[0]["as_of"] == "16:00 on the date"
    assert rows[1]["as_of"].startswith("00:00 release")


def test_chart_files_carry_the_credit_when_opened_on_their_own(seeded_client):
    for url in ("/daily-updates/chart-new.svg?region=Korea", "/daily-updates/trend-Seoul.svg"):
        svg = seeded_client.get(url).text
        assert "Source: DS4C (Jihoo Kim et al.)" in svg and "CC BY-NC-SA 4.0" in svg, url
