"""The buyer's side: basket, inquiry form, confirmation and the private tracking page."""

import re
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from catalogue.errors import ServiceError
from catalogue.extensions import db, limiter
from catalogue.inquiries import buyer, forms, links, services
from catalogue.inquiries.pages import (
    comparison_response,
    handle_decision,
    handle_maker_reply,
    handle_officer_reply,
    handle_quotation,
    handle_withdraw,
    maker_page,
    officer_page,
    send_quotation_pdf,
)
from catalogue.lib import pagecache

bp = Blueprint("inquiries", __name__, url_prefix="/inquiry")

BASKET = "basket"  # the session key of the inquiry basket
pagecache.add_personal_session_key(BASKET)


def basket_slugs() -> list[str]:
    return list(session.get(BASKET, []))


@bp.app_template_global()
def basket_count() -> int:
    return len(basket_slugs())


def _save_basket(slugs: list[str]) -> None:
    session[BASKET] = list(dict.fromkeys(slugs))[: services.MAX_BASKET]


def _back(default: str) -> str:
    """The page the form came from, if it is a path of this site: browsers read "/\\evil" and
    "//evil" as another host, so neither, nor any control character, is followed."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    local = target.startswith("/") and not parts.scheme and not parts.netloc
    if not local or "\\" in target or any(ord(c) < 32 for c in target) or target.startswith("//"):
        return default
    return target


@bp.get("/basket")
def basket():
    return render_template(
        "inquiries/basket.html", products=services.published_products(basket_slugs())
    )


@bp.post("/basket/add")
def basket_add():
    slug = request.form.get("product", "")
    if not services.published_products([slug]):
        abort(404, description=_("That product is not in the catalogue."))
    slugs = basket_slugs()
    added = False
    if slug not in slugs and len(slugs) >= services.MAX_BASKET:
        message = _("The basket holds at most %(num)d products.", num=services.MAX_BASKET)
    elif (
        slug not in slugs
        and len(services.manufacturers_of([*slugs, slug])) > services.MAX_MANUFACTURERS
    ):
        message = _(
            "One inquiry goes to at most %(num)d manufacturers, and the basket has products of "
            "that many already: send this inquiry first, then add this product to a new one.",
            num=services.MAX_MANUFACTURERS,
        )
    elif slug not in slugs:
        _save_basket([*slugs, slug])
        added, message = True, _("Added to your inquiry basket.")
    else:
        message = _("Already in your inquiry basket.")
    refused = slug not in slugs and not added
    # The page's script (static/js/catalogue.js) asks for JSON, so the visitor stays in place.
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        answer = jsonify(added=added, message=message, count=basket_count())
        return answer, 409 if refused else 200
    if slug not in slugs:
        flash(message, "warning" if refused else "success")
    # Back to the product's card on the page the visitor came from.
    return redirect(_back(url_for("inquiries.basket")) + f"#product-{slug}")


@bp.post("/basket/remove")
def basket_remove():
    slug = request.form.get("product", "")
    _save_basket([s for s in basket_slugs() if s != slug])
    flash(_("Removed from your inquiry basket."), "info")
    return redirect(_back(url_for("inquiries.basket")))


def _inquiry_limit() -> str:
    return current_app.config["INQUIRY_RATE_LIMIT"]


_LINE_PRODUCT = re.compile(r"lines-\d+-product")


def _inquiries_posted() -> int:
    """What a POST counts against INQUIRY_RATE_LIMIT: the inquiries it would file, one per
    manufacturer of its products (at least 1, at most MAX_MANUFACTURERS)."""
    slugs = [
        value for key, value in request.form.items(multi=True) if _LINE_PRODUCT.fullmatch(key)
    ][: services.MAX_BASKET]
    return min(max(1, len(services.manufacturers_of(slugs))), services.MAX_MANUFACTURERS)


# The form token made below: anything else is a forged or mangled form.
_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


# Not kept by the page cache: each form carries its own one-time token.
@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_inquiry_limit, methods=["POST"], cost=_inquiries_posted)
def inquiry_new():
    form = forms.InquiryForm()
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(32)
        single = request.args.get("product")
        slugs = [single] if single else basket_slugs()
        products = services.published_products(slugs)
        if single and not products:
            abort(404, description=_("That product is not in the catalogue."))
        if not products:
            flash(
                _("Add products to your basket first, then send one inquiry for all of them."),
                "info",
            )
            return redirect(url_for("inquiries.basket"))
        for product in products:
            form.lines.append_entry({"product": product.slug, "quantity": None, "unit": "tests"})
        if current_user.is_authenticated:
            _prefill_contact(form)
        return render_template("inquiries/inquiry_form.html", form=form, products=products)

    products = services.published_products([line.product.data for line in form.lines])
    if form.website.data:
        abort(400, description=_("The form could not be sent."))  # the honeypot was filled
    token = form.form_token.data or None  # None: posted by a client without the form
    if token is not None and not _FORM_TOKEN.fullmatch(token):
        abort(400, description=_("The form could not be sent: reload the page and send it again."))
    if len(products) != len(form.lines.entries):
        abort(400, description=_("One of the products is not in the catalogue (any more)."))
    if form.validate():
        try:
            filed = _file(form, products, token)
        except ServiceError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            if filed.again:
                flash(_("This inquiry was sent already, so nothing new was filed."), "info")
            if not request.args.get("product"):
                _save_basket([])
            # Shown once: the tracking links exist nowhere else but in the confirmation e-mail.
            session["just_filed"] = [(i.reference, link) for i, link in filed.inquiries]
            return redirect(url_for("inquiries.inquiry_filed"))
    return render_template("inquiries/inquiry_form.html", form=form, products=products), 400


def _file(form, products, token: str | None) -> services.Filed:
    """File the inquiries of a valid form and commit (raises ServiceError)."""
    assert form.name.data and form.organisation.data and form.email.data  # DataRequired
    email = form.email.data.strip().lower()
    try:
        filed = services.file_inquiries(
            [
                services.LineRequest(p, line.quantity.data, line.unit.data, line.note.data or None)
                for p, line in zip(products, form.lines, strict=True)
            ],
            services.Contact(
                name=form.name.data.strip(),
                organisation=form.organisation.data.strip(),
                email=email,
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
            form_token=token,
        )
        db.session.commit()
        return filed
    except IntegrityError:
        # The same form sent twice at once: the other request filed it; show its inquiries.
        db.session.rollback()
        again = services.filed_with_form_token(token, email) if token else None
        if again is None:
            raise
        return again


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
    references = session.pop("just_filed", None)
    if not references:
        return redirect(
            url_for("accounts.account_home") if _is_officer() else url_for("content.home")
        )
    filed = services.filed_by_reference([reference for reference, _token in references])
    tokens = dict(references)
    return render_template(
        "inquiries/inquiry_filed.html",
        filed=[(i, tokens[i.reference], services.route_text(i)) for i in filed],
    )


# --- The buyer's private tracking page ----------------------------------------------------------


def _tracked(token: str):
    inquiry = links.inquiry_by_token(token)
    if inquiry is None:
        abort(404, description=_("We could not find an inquiry for this link."))
    return inquiry


def _track_urls(token: str, inquiry) -> dict:
    return {
        "reply_action": url_for("inquiries.track_reply", token=token),
        "decision_action": url_for("inquiries.track_decision", token=token),
        "withdraw_action": url_for("inquiries.track_withdraw", token=token),
        "compare_url": url_for("inquiries.track_compare", token=token)
        if buyer.has_quotations_to_compare(inquiry)
        else None,
        "quotation_url": lambda q: url_for(
            "inquiries.track_quotation_pdf", token=token, quotation_id=q.id
        ),
    }


@bp.get("/track/<token>")
def track(token):
    inquiry = _tracked(token)
    return officer_page(inquiry, "inquiries/track.html", _track_urls(token, inquiry))


@bp.post("/track/<token>/reply")
def track_reply(token):
    inquiry = _tracked(token)
    form = forms.ReplyForm()
    if handle_officer_reply(inquiry, form, current_user if _is_officer() else None):
        return redirect(url_for("inquiries.track", token=token, _anchor="thread"))
    urls = _track_urls(token, inquiry)
    return officer_page(inquiry, "inquiries/track.html", urls, reply_form=form, status=400)


@bp.post("/track/<token>/decision")
def track_decision(token):
    inquiry = _tracked(token)
    form = forms.DecisionForm()
    if handle_decision(inquiry, form, current_user if _is_officer() else None):
        return redirect(url_for("inquiries.track", token=token, _anchor="decision"))
    urls = _track_urls(token, inquiry)
    return officer_page(inquiry, "inquiries/track.html", urls, decision_form=form, status=409)


@bp.post("/track/<token>/withdraw")
def track_withdraw(token):
    inquiry = _tracked(token)
    handle_withdraw(inquiry, current_user if _is_officer() else None)
    return redirect(url_for("inquiries.track", token=token))


@bp.get("/track/<token>/compare")
def track_compare(token):
    inquiry = _tracked(token)
    return comparison_response(
        inquiry,
        "html",
        {
            "csv_url": url_for("inquiries.track_compare_csv", token=token, **_currency_arg()),
            "pdf_url": url_for("inquiries.track_compare_pdf", token=token, **_currency_arg()),
            "back_url": url_for("inquiries.track", token=token),
        },
    )


@bp.get("/track/<token>/compare.csv")
def track_compare_csv(token):
    return comparison_response(_tracked(token), "csv")


@bp.get("/track/<token>/compare.pdf")
def track_compare_pdf(token):
    return comparison_response(_tracked(token), "pdf")


@bp.get("/track/<token>/quotations/<int:quotation_id>.pdf")
def track_quotation_pdf(token, quotation_id):
    return send_quotation_pdf(_tracked(token), quotation_id)


def _currency_arg() -> dict:
    currency = request.args.get("currency")
    return {"currency": currency} if currency else {}


# --- The maker's private link (inquiries e-mailed to an address on file) ----------------------


def _maker_inquiry(token: str):
    inquiry = links.inquiry_by_maker_token(token)
    if inquiry is None:
        abort(
            404,
            description=_("This link is invalid or has expired. Ask CAC staff for a new one."),
        )
    return inquiry


def _maker_urls(token: str) -> dict:
    return {
        "reply_action": url_for("inquiries.maker_reply", token=token),
        "quote_action": url_for("inquiries.maker_quote", token=token),
        "close_action": None,
        "quotation_url": lambda q: url_for(
            "inquiries.maker_quotation_pdf", token=token, quotation_id=q.id
        ),
    }


@bp.get("/respond/<token>")
def maker_view(token):
    inquiry = _maker_inquiry(token)
    if inquiry.status in ("new", "routed"):
        services.mark_read(inquiry)
        db.session.commit()
    return maker_page(inquiry, "inquiries/maker_link.html", _maker_urls(token))


@bp.post("/respond/<token>/reply")
def maker_reply(token):
    inquiry = _maker_inquiry(token)
    form = forms.ReplyForm()
    if handle_maker_reply(inquiry, form, None):
        return redirect(url_for("inquiries.maker_view", token=token, _anchor="thread"))
    urls = _maker_urls(token)
    return maker_page(inquiry, "inquiries/maker_link.html", urls, reply_form=form, status=400)


@bp.post("/respond/<token>/quotation")
def maker_quote(token):
    inquiry = _maker_inquiry(token)
    form = forms.quotation_form(inquiry)
    if handle_quotation(inquiry, form, None, "link"):
        return redirect(url_for("inquiries.maker_view", token=token, _anchor="thread"))
    urls = _maker_urls(token)
    return maker_page(inquiry, "inquiries/maker_link.html", urls, quotation_form=form, status=400)


@bp.get("/respond/<token>/quotations/<int:quotation_id>.pdf")
def maker_quotation_pdf(token, quotation_id):
    return send_quotation_pdf(_maker_inquiry(token), quotation_id)
