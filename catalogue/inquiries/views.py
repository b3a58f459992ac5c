"""The buyer's side: basket, inquiry form, confirmation and the private tracking page."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db, limiter
from catalogue.inquiries import forms, services
from catalogue.supplies import pagecache
from catalogue.supplies.documents import document_path

bp = Blueprint("inquiries", __name__, url_prefix="/inquiry")


def basket_slugs() -> list[str]:
    return list(session.get("basket", []))


def _save_basket(slugs: list[str]) -> None:
    session["basket"] = list(dict.fromkeys(slugs))[: services.MAX_BASKET]


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.get("/basket")
def basket():
    return render_template(
        "inquiries/basket.html", products=services.published_products(basket_slugs())
    )


@bp.post("/basket/add")
def basket_add():
    slug = request.form.get("product", "")
    if not services.published_products([slug]):
        abort(404, description="That product is not in the catalogue.")
    slugs = basket_slugs()
    if slug not in slugs and len(slugs) >= services.MAX_BASKET:
        flash(f"The basket holds at most {services.MAX_BASKET} products.", "warning")
    elif slug not in slugs:
        _save_basket([*slugs, slug])
        flash("Added to your inquiry basket.", "success")
    return redirect(_back(url_for("inquiries.basket")))


@bp.post("/basket/remove")
def basket_remove():
    slug = request.form.get("product", "")
    _save_basket([s for s in basket_slugs() if s != slug])
    flash("Removed from your inquiry basket.", "info")
    return redirect(_back(url_for("inquiries.basket")))


def _inquiry_limit() -> str:
    return current_app.config["INQUIRY_RATE_LIMIT"]


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_inquiry_limit, methods=["POST"])
@pagecache.cached_page()  # the empty form, for anonymous visitors (never a POST)
def inquiry_new():
    form = forms.InquiryForm()
    if request.method == "GET":
        single = request.args.get("product")
        slugs = [single] if single else basket_slugs()
        products = services.published_products(slugs)
        if single and not products:
            abort(404, description="That product is not in the catalogue.")
        if not products:
            flash(
                "Add products to your basket first, then send one inquiry for all of them.", "info"
            )
            return redirect(url_for("inquiries.basket"))
        for product in products:
            form.lines.append_entry({"product": product.slug, "quantity": None, "unit": "tests"})
        if current_user.is_authenticated:
            _prefill_contact(form)
        return render_template("inquiries/inquiry_form.html", form=form, products=products)

    products = services.published_products([line.product.data for line in form.lines])
    if form.website.data:
        abort(400, description="The form could not be sent.")  # the honeypot was filled
    if len(products) != len(form.lines.entries):
        abort(400, description="One of the products is not in the catalogue (any more).")
    if form.validate():
        try:
            filed = services.file_inquiries(
                [
                    services.LineRequest(
                        p, line.quantity.data, line.unit.data, line.note.data or None
                    )
                    for p, line in zip(products, form.lines, strict=True)
                ],
                services.Contact(
                    name=form.name.data.strip(),
                    organisation=form.organisation.data.strip(),
                    email=form.email.data.strip().lower(),
                    country=form.country.data,
                    job_title=(form.job_title.data or "").strip() or None,
                    phone=(form.phone.data or "").strip() or None,
                    city=(form.city.data or "").strip() or None,
                ),
                destination=(form.destination.data or "").strip() or None,
                incoterm=form.incoterm.data or None,
                required_by=form.required_by.data,
                message=(form.message.data or "").strip() or None,
                officer=current_user if _is_officer() else None,
            )
        except ServiceError as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            if not request.args.get("product"):
                _save_basket([])
            # Shown once: the tracking links exist nowhere else but in the confirmation e-mail.
            session["just_filed"] = [(i.reference, token) for i, token in filed.inquiries]
            return redirect(url_for("inquiries.inquiry_filed"))
    return render_template("inquiries/inquiry_form.html", form=form, products=products), 400


def _is_officer() -> bool:
    return current_user.is_authenticated and current_user.role == "officer"


def _prefill_contact(form) -> None:
    user = current_user
    form.name.data = user.name
    form.email.data = user.email
    form.organisation.data = user.organisation
    form.job_title.data = user.job_title
    form.city.data = user.city
    form.country.data = user.country


@bp.get("/sent")
def inquiry_filed():
    filed = session.pop("just_filed", None)
    if not filed:
        return redirect(
            url_for("accounts.account_home") if _is_officer() else url_for("content.home")
        )
    return render_template("inquiries/inquiry_filed.html", filed=filed)


def _tracked(token: str):
    inquiry = services.inquiry_by_token(token)
    if inquiry is None:
        abort(404, description="We could not find an inquiry for this link.")
    return inquiry


@bp.get("/track/<token>")
def track(token):
    inquiry = _tracked(token)
    return render_template(
        "inquiries/track.html", inquiry=inquiry, token=token, reply_form=forms.ReplyForm()
    )


@bp.post("/track/<token>/reply")
def track_reply(token):
    inquiry = _tracked(token)
    form = forms.ReplyForm()
    if form.validate():
        try:
            services.reply_as_officer(
                inquiry,
                form.body.data,
                form.revised_quotation.data,
                current_user if _is_officer() else None,
            )
        except ServiceError as error:
            form.body.errors = [*form.body.errors, error.message]
        else:
            db.session.commit()
            flash("Your message is sent to the manufacturer.", "success")
            return redirect(url_for("inquiries.track", token=token, _anchor="thread"))
    return render_template(
        "inquiries/track.html", inquiry=inquiry, token=token, reply_form=form
    ), 400


@bp.get("/track/<token>/quotations/<int:quotation_id>.pdf")
def track_quotation_pdf(token, quotation_id):
    return send_quotation_pdf(_tracked(token), quotation_id)


def send_quotation_pdf(inquiry, quotation_id: int):
    """A quotation's PDF attachment, for whoever may see the inquiry (buyer, maker, staff)."""
    quotation = next((q for q in inquiry.quotations if q.id == quotation_id), None)
    if quotation is None or quotation.document is None:
        abort(404)
    return send_file(
        document_path(quotation.document),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{inquiry.reference}-quotation-{quotation.id}.pdf",
    )
