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
