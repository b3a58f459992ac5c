"""Staff editing of the CAC sections: articles, network links, figure imports, section views."""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalogue.content import charts
from catalogue.content import services as content
from catalogue.content.forms import ArticleForm, ConfirmForm, FiguresImportForm, NetworkLinkForm
from catalogue.content.models import SECTIONS, Article, NetworkLink
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.markdown import render_markdown
from catalogue.staff.views import bp

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 2 * 1024 * 1024
VIEW_LABELS = {
    "home": _l("Home"),
    "mayors-note": _l("Mayor's Note"),
    "daily-updates": _l("Daily Updates"),
    "countermeasures": _l("Countermeasures"),
    "cities-network": _l("Cities Network"),
    "news": _l("News"),
}


def _view_labels() -> dict[str, str]:
    """The section labels in the reader's language, as plain strings (the chart is JSON-fed)."""
    return {key: str(label) for key, label in VIEW_LABELS.items()}


@bp.get("/content/")
def content_index():
    section = request.args.get("section") or None
    if section and section not in SECTIONS:
        abort(400, description=_("Unknown section."))
    days, series = content.views_last_days(30)
    return render_template(
        "staff/content_index.html",
        articles=content.list_all_articles(section),
        section=section,
        sections=SECTIONS,
        link_counts=content.link_counts(),
        totals={s: sum(v) for s, v in series.items()},
        view_labels=VIEW_LABELS,
        confirm=ConfirmForm(),
    )


@bp.get("/content/views.svg")
def content_views_chart():
    days, series = content.views_last_days(30)
    response = Response(charts.views_chart(days, series, _view_labels()), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _article_form(article: Article | None):
    form = ArticleForm(obj=article)
    if article is None and request.method == "GET":
        form.section.data = request.args.get("section", "news")
    if article is not None and request.method == "GET":
        form.sources.data = "\n".join(article.sources or [])
        form.category.data = article.category or ""
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            # Server-rendered preview: nothing is saved until Save is pressed.
            preview = render_markdown(form.body.data)
        else:
            try:
                saved = content.save_article(current_user, article, form.values())
            except ServiceError as error:
                getattr(form, error.field or "title").errors.append(error.message)
            else:
                db.session.commit()
                logger.info(
                    "User %s saved article %s/%s", current_user.id, saved.section, saved.slug
                )
                flash(_("Saved “%(title)s”.", title=saved.title), "success")
                return redirect(url_for("staff.content_article_edit", article_id=saved.id))
    status = 400 if form.errors else 200
    return render_template(
        "staff/content_article_form.html",
        form=form,
        article=article,
        preview=preview,
        confirm=ConfirmForm(),
    ), status


@bp.route("/content/articles/new", methods=["GET", "POST"])
def content_article_new():
    return _article_form(None)


@bp.route("/content/articles/<int:article_id>", methods=["GET", "POST"])
def content_article_edit(article_id: int):
    return _article_form(db.get_or_404(Article, article_id))


def _set_status(article_id: int, status: str):
    article = db.get_or_404(Article, article_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; please try again."))
    content.set_article_status(current_user, article, status)
    db.session.commit()
    logger.info("User %s set article %s to %s", current_user.id, article.id, status)
    if status == "published":
        flash(_("“%(title)s” is now published.", title=article.title), "success")
    else:
        flash(_("“%(title)s” is now draft.", title=article.title), "success")
    if request.form.get("return_to") == "edit":
        return redirect(url_for("staff.content_article_edit", article_id=article.id))
    return redirect(url_for("staff.content_index"))


@bp.post("/content/articles/<int:article_id>/publish")
def content_article_publish(article_id: int):
    return _set_status(article_id, "published")


@bp.post("/content/articles/<int:article_id>/unpublish")
def content_article_unpublish(article_id: int):
    return _set_status(article_id, "draft")


# --- Network links ------------------------------------------------------------------------


@bp.get("/content/links/")
def content_link_list():
    return render_template(
        "staff/content_link_list.html",
        links=content.list_links(unsourced=True),
        confirm=ConfirmForm(),
    )


def _link_form(link: NetworkLink | None):
    form = NetworkLinkForm(obj=link)
    if form.validate_on_submit():
        try:
            saved = content.save_link(current_user, link, form.values())
        except ServiceError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Saved %(name)s.", name=saved.name), "success")
            return redirect(url_for("staff.content_link_list"))
    status = 400 if form.errors else 200
    return render_template("staff/content_link_form.html", form=form, link=link), status


@bp.route("/content/links/new", methods=["GET", "POST"])
def content_link_new():
    return _link_form(None)


@bp.route("/content/links/<int:link_id>", methods=["GET", "POST"])
def content_link_edit(link_id: int):
    return _link_form(db.get_or_404(NetworkLink, link_id))


@bp.post("/content/links/<int:link_id>/delete")
def content_link_delete(link_id: int):
    link = db.get_or_404(NetworkLink, link_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; please try again."))
    name = link.name
    content.delete_link(current_user, link)
    db.session.commit()
    flash(_("Removed %(name)s from the network.", name=name), "success")
    return redirect(url_for("staff.content_link_list"))


# --- Figures import -----------------------------------------------------------------------


@bp.route("/content/figures/import", methods=["GET", "POST"])
def content_figures_import():
    form = FiguresImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            form.file.errors.append(_("The file is larger than 2 MB."))
        else:
            report = content.import_figures(current_user, data)
            if report.ok:
                db.session.commit()
                logger.info(
                    "User %s imported figures: %d added, %d updated",
                    current_user.id,
                    report.added,
                    report.updated,
                )
            else:
                db.session.rollback()
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render_template("staff/content_figures_import.html", form=form, report=report), status
