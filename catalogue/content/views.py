"""The CAC sections: home, Mayor's Note, Daily Updates, Countermeasures, Cities Network, News."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    has_request_context,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from catalogue.content import charts, feeds, opendata, sitemap
from catalogue.content import services as content
from catalogue.content.models import (
    LINK_KINDS,
    REGION_LABELS,
    REGIONS,
    WORLD_REGION_LABELS,
    WORLD_REGIONS,
)
from catalogue.i18n import COOKIE_MAX_AGE, DEFAULT_LANGUAGE, current_language
from catalogue.lib.atom import MIMETYPE as ATOM_MIMETYPE
from catalogue.lib.glossary import TERMS, link_terms
from catalogue.lib.paging import page_arg
from catalogue.supplies import services as supplies
from catalogue.supplies.models import INDEPENDENT_REPORTERS, REPORTERS, STATE_LABELS

bp = Blueprint("content", __name__)

# Which section a page belongs to, for the anonymous per-section view counters.
_SECTION_OF = {
    "content.home": "home",
    "content.mayors_note_list": "mayors-note",
    "content.mayors_note_detail": "mayors-note",
    "content.daily_updates": "daily-updates",
    "content.countermeasures_list": "countermeasures",
    "content.countermeasures_detail": "countermeasures",
    "content.cities_network": "cities-network",
    "content.news_list": "news",
    "content.news_detail": "news",
}
TREND_DAYS = 30
# The catalogue pages whose main content links each glossary term's first use (and every
# content page but the glossary itself).
GLOSSARY_LINKED_PAGES = {
    "supplies.landing",
    "supplies.product_list",
    "supplies.product_detail",
    "supplies.manufacturer_list",
    "supplies.manufacturer_detail",
    "supplies.compare",
}


@bp.after_request
def count_section_view(response: Response) -> Response:
    # Aggregated counts only: no cookie, no address, no user id is read or kept for this.
    # Counted in memory and written in batches, so the database never delays a page.
    section = _SECTION_OF.get(request.endpoint or "")
    if section and request.method == "GET" and response.status_code == 200:
        content.count_view(section)
    return response


@bp.get("/")
def home():
    latest = content.latest_figures()
    return render_template(
        "content/home.html",
        categories=supplies.categories_with_counts(),
        featured=supplies.featured_products(limit=3),
        manufacturer_count=len(supplies.list_manufacturers()),
        latest=latest,
        note=next(iter(content.latest_articles("mayors-note", 1)), None),
        news=content.latest_articles("news", 3),
        measures=content.latest_articles("countermeasures", 3),
        trend_days=TREND_DAYS,
        region_labels=REGION_LABELS,
    )


# --- Articles -----------------------------------------------------------------------------


def _article_list(section: str, template: str):
    pagination = content.paginate_articles(section, page_arg())
    if pagination.page > 1 and not pagination.items:
        abort(404)
    return render_template(template, pagination=pagination, section=section)


def _article_detail(section: str, slug: str):
    article = content.get_published_article(section, slug)
    if article is None:
        abort(404)
    return render_template("content/article_detail.html", article=article)


@bp.get("/mayors-note/")
def mayors_note_list():
    return _article_list("mayors-note", "content/mayors_note_list.html")


@bp.get("/mayors-note/<slug>")
def mayors_note_detail(slug: str):
    return _article_detail("mayors-note", slug)


@bp.get("/news/")
def news_list():
    return _article_list("news", "content/news_list.html")


@bp.get("/news/<slug>")
def news_detail(slug: str):
    return _article_detail("news", slug)


@bp.get("/news/feed.atom")
def news_feed():
    return Response(feeds.news_feed(), mimetype=ATOM_MIMETYPE)


@bp.get("/countermeasures/")
def countermeasures_list():
    return render_template(
        "content/countermeasures_list.html", groups=content.measures_by_category()
    )


@bp.get("/countermeasures/<slug>")
def countermeasures_detail(slug: str):
    return _article_detail("countermeasures", slug)


# --- Daily Updates ------------------------------------------------------------------------


def _parse_day(name: str) -> tuple[date | None, str | None]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, _("“%(value)s” is not a date: use the form YYYY-MM-DD.", value=raw[:20])


def _figure_filters() -> tuple[str, date | None, date | None, dict[str, str]]:
    errors = {}
    region = request.args.get("region", "Seoul")
    if region not in REGIONS:
        errors["region"] = _("Choose Seoul or Korea.")
        region = "Seoul"
    start, problem = _parse_day("start")
    if problem:
        errors["start"] = problem
    end, problem = _parse_day("end")
    if problem:
        errors["end"] = problem
    if start and end and start > end:
        errors["end"] = _("The end date is before the start date.")
    return region, start, end, errors


@bp.get("/daily-updates/")
def daily_updates():
    region, start, end, errors = _figure_filters()
    figures = [] if errors else content.list_figures(region, start, end)
    first, last = content.figure_bounds(region)
    return render_template(
        "content/daily_updates.html",
        region=region,
        regions=REGIONS,
        start=start,
        end=end,
        first=first,
        last=last,
        figures=figures,
        errors=errors,
        region_labels=REGION_LABELS,
        chart_kinds=charts.CHART_KINDS,
        credit=_(content.DS4C_CREDIT),
        reporting_note=_(content.REPORTING_NOTE),
        reporting_change_day=content.REPORTING_CHANGE_DAY,
    ), (400 if errors else 200)


def _checked_filters():
    region, start, end, errors = _figure_filters()
    if errors:
        abort(400, description=" ".join(errors.values()))
    return region, start, end


def _svg(data: bytes) -> Response:
    response = Response(data, mimetype="image/svg+xml")
    # Opened on its own, the chart may use its own <style> and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "public, max-age=300"
    # Its titles and dates are in the reader's language.
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.get("/daily-updates/chart-<kind>.svg")
def daily_chart(kind: str):
    if kind not in charts.CHART_KINDS:
        abort(404)
    region, start, end = _checked_filters()
    figures = content.list_figures(region, start, end)
    if kind == "tests":
        figures = [f for f in figures if f.tests is not None]
    if not figures:
        abort(404, description=_("No figures for this selection."))
    return _svg(charts.figures_chart(kind, region, figures))


@bp.get("/daily-updates/trend-<region>.svg")
def trend_chart(region: str):
    if region not in REGIONS:
        abort(404)
    figures = content.list_figures(region)[-TREND_DAYS:]
    if not figures:
        abort(404)
    return _svg(charts.trend_chart(region, figures))


@bp.get("/daily-updates.csv")
def daily_updates_csv():
    region, start, end = _checked_filters()
    body = content.figures_csv(content.list_figures(region, start, end))
    name = f"cac-daily-{region.lower()}"
    if start or end:
        name += f"-{start or 'start'}-to-{end or 'latest'}"
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Link": f'<{content.DS4C_LICENCE_URL}>; rel="license", '
            f'<{url_for("content.daily_updates")}>; rel="describedby", '
            f'<{url_for("content.daily_datapackage")}>; rel="describedby"; '
            'type="application/json"',
        },
    )


@bp.get("/daily-updates/datapackage.json")
def daily_datapackage():
    """The Frictionless data package describing the CSV of each region."""
    urls = {
        region: url_for("content.daily_updates_csv", region=region, _external=True)
        for region in REGIONS
    }
    return jsonify(
        opendata.daily_datapackage(urls, url_for("content.daily_updates", _external=True))
    )


# --- Cities Network -----------------------------------------------------------------------


@bp.get("/cities-network/")
def cities_network():
    kind = request.args.get("kind") or None
    region = request.args.get("region") or None
    if (kind and kind not in LINK_KINDS) or (region and region not in WORLD_REGIONS):
        abort(400, description=_("Unknown kind or region in the filter."))
    return render_template(
        "content/cities_network.html",
        links=content.list_links(kind, region),
        counts=content.link_counts(),
        kind=kind,
        region=region,
        kinds=LINK_KINDS,
        regions=WORLD_REGIONS,
        region_labels=WORLD_REGION_LABELS,
    )


# --- For crawlers -------------------------------------------------------------------------


@bp.get("/sitemap.xml")
def sitemap_xml():
    return Response(sitemap.sitemap_xml(), mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    return Response(sitemap.robots_txt(), mimetype="text/plain")


# Who reported a performance figure, when it is not the manufacturer (the About page lists them).
INDEPENDENT_REPORTER_LABELS = [REPORTERS[r] for r in INDEPENDENT_REPORTERS]


# --- About, contact, privacy, terms -------------------------------------------------------


@bp.get("/about")
def about():
    return render_template(
        "content/about.html", states=STATE_LABELS, reporters=INDEPENDENT_REPORTER_LABELS
    )


@bp.get("/contact")
def contact():
    return render_template("content/contact.html")


@bp.get("/privacy")
def privacy():
    return render_template(
        "content/privacy.html", language_cookie_days=COOKIE_MAX_AGE // (24 * 3600)
    )


@bp.get("/terms")
def terms():
    return render_template("content/terms.html")


# --- Glossary -----------------------------------------------------------------------------


@bp.get("/glossary")
def glossary():
    # In the reader's language's order of the names (the abbreviations stay as they are).
    return render_template(
        "content/glossary.html", terms=sorted(TERMS, key=lambda t: str(t.name).casefold())
    )


@bp.app_template_filter("glossary_links")
def glossary_links_filter(html):
    """base.html runs every page's main content through this: the pages named above get their
    first use of each term linked. Cached pages keep the result, so it runs once per fill."""
    endpoint = request.endpoint if has_request_context() else None
    if not endpoint or endpoint == "content.glossary":
        return html
    if endpoint in GLOSSARY_LINKED_PAGES or endpoint.startswith("content."):
        # Other languages name the terms in their own words: only the abbreviations, which
        # every language uses as they are, are matched there.
        english = current_language() == DEFAULT_LANGUAGE
        return link_terms(str(html), url_for("content.glossary"), abbreviations_only=not english)
    return html


@bp.app_template_filter("markdown")
def markdown_filter(text):
    from catalogue.lib.markdown import render_markdown

    return render_markdown(text)
