"""Staff editing of the CAC sections: access, articles, links, figure import, audit trail."""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from catalogue.audit.models import ChangeRecord
from catalogue.content.models import Article, DailyFigure, NetworkLink
from catalogue.content.seed import load_content_seed
from catalogue.extensions import db
from tests.conftest import SEED_DIR


@pytest.fixture
def staff(make_user, login):
    return login(make_user(role="staff"))


def _records(entity_type, field=None):
    stmt = sa.select(ChangeRecord).where(ChangeRecord.entity_type == entity_type)
    if field:
        stmt = stmt.where(ChangeRecord.field == field)
    return db.session.scalars(stmt.order_by(ChangeRecord.id)).all()


def _upload(client, text: str | bytes, name="figures.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/staff/content/figures/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _snapshot():
    return [
        (f.day, f.region, f.new_confirmed, f.cumulative_confirmed, f.released, f.deaths, f.tests)
        for f in db.session.scalars(
            sa.select(DailyFigure).order_by(DailyFigure.day, DailyFigure.region)
        )
    ]


HEADER = "date,region,new_confirmed,cumulative_confirmed,released,deaths,tests\n"


STAFF_PAGES = pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/staff/content/"),
        ("get", "/staff/content/articles/new"),
        ("get", "/staff/content/links/"),
        ("get", "/staff/content/views.svg"),
        ("post", "/staff/content/figures/import"),
        ("post", "/staff/content/articles/1/publish"),
    ],
)


@STAFF_PAGES
def test_guests_are_sent_to_sign_in(client, method, path):
    guest = getattr(client, method)(path)
    assert guest.status_code == 302 and "/account/login" in guest.headers["Location"]


@STAFF_PAGES
@pytest.mark.parametrize("role", ["officer", "manufacturer"])
def test_other_roles_are_refused_content_editing(client, make_user, login, method, path, role):
    login(make_user(role=role))
    assert getattr(client, method)(path).status_code == 403


def test_staff_menu_links_to_content(client, staff):
    page = client.get("/staff/").text
    assert 'href="/staff/content/"' in page


def test_preview_renders_without_saving_then_save_publish_unpublish(client, staff):
    form = {
        "section": "news",
        "title": "Seoul opens a new centre",
        "slug": "new-centre",
        "category": "",
        "published_on": "2020-05-20",
        "summary": "Short.",
        "body": "A **bold** claim <script>alert(1)</script>",
        "sources": "https://example.org/a (a source)\n\n",
    }
    preview = client.post("/staff/content/articles/new", data={**form, "preview": "Preview"})
    assert preview.status_code == 200
    assert '<div class="markdown markdown-preview" id="preview"><p>A <strong>bold</strong>' in (
        preview.text
    )
    assert "<script>alert" not in preview.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0

    saved = client.post("/staff/content/articles/new", data={**form, "save": "Save"})
    assert saved.status_code == 302
    article = db.session.scalar(sa.select(Article))
    assert article.status == "draft" and article.sources == ["https://example.org/a (a source)"]
    assert client.get("/news/new-centre").status_code == 404

    client.post(f"/staff/content/articles/{article.id}/publish")
    assert client.get("/news/new-centre").status_code == 200
    client.post(f"/staff/content/articles/{article.id}/unpublish")
    assert client.get("/news/new-centre").status_code == 404

    assert _records("articles", "created")[0].new_value == "news/new-centre"
    statuses = [r.new_value for r in _records("articles", "status")]
    assert statuses == ["published", "draft"]
    assert all(r.actor_id == staff.id for r in _records("articles"))


def test_editing_an_article_records_each_changed_field(client, staff, make_article):
    article = make_article(
        slug="old", title="Old title", section="countermeasures", category="screening"
    )
    response = client.post(
        f"/staff/content/articles/{article.id}",
        data={
            "section": "countermeasures",
            "title": "New title",
            "slug": "old",
            "category": "screening",
            "published_on": "2020-04-09",
            "body": article.body,
            "sources": "https://example.org/source",
            "save": "Save",
        },
    )
    assert response.status_code == 302
    fields = {r.field: (r.old_value, r.new_value) for r in _records("articles")}
    assert fields == {"title": ("Old title", "New title")}


def test_article_form_rejects_bad_input_and_keeps_it(client, staff, make_article):
    make_article(slug="taken")
    response = client.post(
        "/staff/content/articles/new",
        data={"section": "news", "title": "Kept title", "slug": "taken", "body": "x", "save": "1"},
    )
    assert response.status_code == 400
    assert "has this address already" in response.text and "Kept title" in response.text
    response = client.post(
        "/staff/content/articles/new",
        data={"section": "countermeasures", "title": "T", "slug": "t", "body": "x", "save": "1"},
    )
    assert response.status_code == 400 and "needs a category" in response.text
    bad_slug = client.post(
        "/staff/content/articles/new",
        data={"section": "news", "title": "T", "slug": "Not A Slug", "body": "x", "save": "1"},
    )
    assert bad_slug.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 1


LINK_FORM = {
    "kind": "city",
    "name": "Test City",
    "region": "Asia",
    "url": "https://test.example.org/",
    "source_url": "https://news.example.org/summit",
    "source_name": "Example News",
    "source_date": "2020-06-02",
    "source_says": "Names Test City among the cities at the Mayoral Meeting.",
}


def test_staff_add_edit_and_remove_network_links(client, staff):
    response = client.post("/staff/content/links/new", data=LINK_FORM)
    assert response.status_code == 302
    link = db.session.scalar(sa.select(NetworkLink))
    assert link.source_date == date(2020, 6, 2) and link.source_name == "Example News"
    page = client.get("/cities-network/").text
    assert "Test City" in page and 'href="https://news.example.org/summit"' in page
    bad = client.post(f"/staff/content/links/{link.id}", data={**LINK_FORM, "url": "not a url"})
    assert bad.status_code == 400 and "not a url" in bad.text
    client.post(f"/staff/content/links/{link.id}/delete")
    assert db.session.scalar(sa.select(NetworkLink)) is None
    assert [r.field for r in _records("network_links")][0] == "created"
    assert _records("network_links", "deleted")


@pytest.mark.parametrize(
    "missing,message",
    [
        ("source_url", "Give the public source that connects it with CAC."),
        ("source_says", "Say what the source says about it."),
    ],
)
def test_a_network_link_without_its_source_is_refused(client, staff, missing, message):
    response = client.post("/staff/content/links/new", data={**LINK_FORM, missing: ""})
    assert response.status_code == 400 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NetworkLink)) == 0


def test_a_link_without_a_checked_address_is_kept_without_one(client, staff):
    response = client.post("/staff/content/links/new", data={**LINK_FORM, "url": ""})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(NetworkLink)).url is None
    assert "No official address recorded" in client.get("/cities-network/").text


def test_staff_list_marks_links_without_a_source(client, staff, make_link):
    make_link(name="Old City", source_url=None, source_says=None)
    page = client.get("/staff/content/links/").text
    assert "Old City" in page and "No source: not shown on the site" in page


def test_a_stated_date_needs_its_source_and_shows_on_the_page(client, staff):
    form = {
        "section": "news",
        "title": "Dated item",
        "slug": "dated-item",
        "category": "",
        "body": "Text.",
        "sources": "https://example.org/a (Example, 3 June 2020)",
        "date_stated": "2020-06-03",
        "save": "Save",
    }
    refused = client.post("/staff/content/articles/new", data=form)
    assert refused.status_code == 400 and "Name the source that gives this date." in refused.text
    saved = client.post(
        "/staff/content/articles/new", data={**form, "date_source": "Example, 3 June 2020"}
    )
    assert saved.status_code == 302
    article = db.session.scalar(sa.select(Article))
    client.post(f"/staff/content/articles/{article.id}/publish")
    page = client.get("/news/dated-item").text
    assert '<time datetime="2020-06-03">3 June 2020</time>' in page
    assert "(date from Example, 3 June 2020)" in page


def test_views_chart_for_staff_is_svg(client, staff):
    client.get("/news/")
    response = client.get("/staff/content/views.svg")
    assert response.mimetype == "image/svg+xml" and "<script" not in response.text
    page = client.get("/staff/content/").text
    assert "/staff/content/views.svg" in page


# --- Figures import -----------------------------------------------------------------------


def test_csv_download_round_trips_through_the_import_unchanged(client, staff):
    load_content_seed(SEED_DIR)
    db.session.commit()
    before = _snapshot()
    for region in ("Seoul", "Korea"):
        csv_text = client.get(f"/daily-updates.csv?region={region}").data
        response = _upload(client, csv_text)
        assert response.status_code == 200
        assert "0 added, 0 updated, 163 unchanged" in response.text
    assert _snapshot() == before
    assert not _records("daily_figures")


def test_import_adds_and_updates_by_date_and_region(client, staff, make_figure):
    make_figure(day=date(2020, 3, 1), region="Seoul", cumulative_confirmed=10)
    text = (
        HEADER
        + "2020-03-01,Seoul,1,11,2,0,\n"  # update
        + "2020-03-01,Korea,5,50,3,1,1000\n"  # add
        + "2020-03-02,Seoul,0,11,2,0,\n"  # add
    )
    response = _upload(client, text)
    assert response.status_code == 200
    assert "2 added, 1 updated, 0 unchanged" in response.text
    seoul = db.session.scalar(
        sa.select(DailyFigure).where(
            DailyFigure.region == "Seoul", DailyFigure.day == date(2020, 3, 1)
        )
    )
    assert seoul.cumulative_confirmed == 11
    korea = db.session.scalar(sa.select(DailyFigure).where(DailyFigure.region == "Korea"))
    assert korea.tests == 1000
    updates = _records("daily_figures", "cumulative_confirmed")
    assert [(r.old_value, r.new_value) for r in updates if r.old_value] == [("10", "11")]


def test_a_file_with_bad_rows_changes_nothing_and_reports_each_row(client, staff, make_figure):
    make_figure(day=date(2020, 3, 1), region="Seoul", cumulative_confirmed=10)
    before = _snapshot()
    text = (
        "# comment line\n"
        + HEADER
        + "2020-03-01,Seoul,1,99,2,0,\n"  # fine, would update
        + "2020-02-30,Seoul,1,11,2,0,\n"  # line 4: no such date
        + "2020-03-03,Busan,1,11,2,0,\n"  # line 5: unknown region
        + "2020-03-04,Seoul,-1,11,2,0,\n"  # line 6: negative
        + "2020-03-05,Seoul,1,11,2,50,\n"  # line 7: deaths > confirmed
        + "2020-03-01,Seoul,1,99,2,0,\n"  # line 8: duplicate
    )
    response = _upload(client, text)
    assert response.status_code == 400
    page = response.text
    assert "Nothing was imported" in page and "5 rows were rejected" in page
    assert "Line 4: date" in page and "Line 5: region" in page and "Line 6: new_confirmed" in page
    assert "Line 7: deaths exceed" in page and "Line 8: 2020-03-01 Seoul appears twice" in page
    assert _snapshot() == before
    assert not _records("daily_figures")


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"day,place\n2020-03-01,Seoul\n", "lacks the column(s): date, region"),
        (HEADER.encode(), "holds no rows"),
        ((HEADER + '2020-03-01,Seoul,1,"11,2,0,\n').encode(), "rejected"),
    ],
)
def test_malformed_files_change_nothing(client, staff, make_figure, payload, message):
    make_figure()
    before = _snapshot()
    response = _upload(client, payload)
    assert response.status_code == 400
    assert message in response.text
    assert _snapshot() == before


def test_import_without_a_file_is_a_400(client, staff):
    response = client.post("/staff/content/figures/import", data={})
    assert response.status_code == 400 and "Choose a CSV file" in response.text


def test_content_forms_carry_and_require_a_csrf_token(app_factory):
    from catalogue.accounts.models import User

    app = app_factory("test_csrf_content", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(email="staff@example.org", name="Staff", role="staff")
        user.set_password("correct horse battery staple")
        db.session.add(user)
        article = Article(section="news", slug="a", title="A", body="b", status="draft")
        db.session.add(article)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_session_id()
            session["_fresh"] = True
        forms = ("/staff/content/", "/staff/content/figures/import", "/staff/content/links/new")
        for path in forms:
            assert 'name="csrf_token"' in client.get(path).text
        assert client.post(f"/staff/content/articles/{article.id}/publish").status_code == 400
        assert _upload(client, HEADER + "2020-03-01,Seoul,1,1,0,0,\n").status_code == 400
        assert db.session.get(Article, article.id).status == "draft"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyFigure)) == 0
        db.session.remove()


def test_publishing_from_the_edit_page_returns_there(client, staff, make_article):
    article = make_article(status="draft")
    page = client.get(f"/staff/content/articles/{article.id}").text
    assert f"/staff/content/articles/{article.id}/publish" in page
    response = client.post(
        f"/staff/content/articles/{article.id}/publish",
        data={"return_to": "https://evil.example.org/"},
    )
    assert response.headers["Location"] == "/staff/content/"
    response = client.post(
        f"/staff/content/articles/{article.id}/unpublish", data={"return_to": "edit"}
    )
    assert response.headers["Location"] == f"/staff/content/articles/{article.id}"
