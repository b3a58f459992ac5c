"""Articles of the CAC sections are found by search once published, and gone when unpublished."""

from datetime import date

from catalogue.content.models import Article
from catalogue.extensions import db


def test_published_articles_are_searchable_by_section(client, sync_index):
    note = Article(
        section="mayors-note", slug="open-data", title="Openness as policy",
        body="Seoul publishes the movements of confirmed patients.", status="published",
        published_on=date(2020, 4, 1),
    )  # fmt: skip
    draft = Article(
        section="news", slug="draft-item", title="Unreleased drive-through story",
        body="Not yet.", status="draft", published_on=date(2020, 4, 2),
    )  # fmt: skip
    db.session.add_all([note, draft])
    db.session.commit()
    sync_index()
    html = client.get("/search", query_string={"q": "openness"}).get_data(as_text=True)
    assert "Openness as policy" in html and 'href="/mayors-note/open-data"' in html
    assert "Mayor&#39;s Note" in html or "Mayor's Note" in html
    assert "Unreleased drive-through" not in client.get("/search?q=unreleased").get_data(
        as_text=True
    )

    note.status = "draft"
    db.session.commit()
    sync_index()
    assert "Openness as policy" not in client.get("/search?q=openness").get_data(as_text=True)


def test_search_results_give_an_articles_own_date_not_its_publication_on_the_portal(
    client, sync_index
):
    undated = Article(
        section="mayors-note", slug="undated-note", title="Openness as policy",
        body="Text.", status="published", published_on=date(2020, 5, 15),
    )  # fmt: skip
    dated = Article(
        section="news", slug="dated-item", title="Openness in figures",
        body="Text.", status="published", published_on=date(2020, 4, 2),
        date_stated=date(2020, 4, 1),
    )  # fmt: skip
    db.session.add_all([undated, dated])
    db.session.commit()
    sync_index()
    html = client.get("/search", query_string={"q": "openness"}).get_data(as_text=True)
    assert "Undated" in html and "15 May 2020" not in html
    assert "1 April 2020" in html and "2 April 2020" not in html
