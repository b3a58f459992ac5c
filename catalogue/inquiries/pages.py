"""One inquiry as each side sees it, wherever it is opened: its page, the handling of its forms
(validate, call the service, commit, flash) and its downloads (quotation PDFs, the comparison).

The buyer opens an inquiry through the private tracking link (inquiries) or the officer's account
(accounts); the manufacturer through the private link (inquiries) or the portal (portal). Their
views find the inquiry each their own way and hand it here with their own URLs.
"""

from flask import Response, abort, flash, render_template, request
from flask_babel import gettext as _

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries import buyer, forms, quotations, services
from catalogue.lib.money import is_currency
from catalogue.lib.storage import send_stored
from catalogue.supplies.uploads import document_key, store_document

# --- The buyer's side (tracking link and officer account) ---------------------------------------


def officer_page(inquiry, template, urls: dict, *, reply_form=None, decision_form=None, status=200):
    """The buyer's view of one inquiry (tracking page or account page)."""
    return render_template(
        template,
        inquiry=inquiry,
        route=services.route_text(inquiry),
        timeline=buyer.timeline(inquiry, audience="officer"),
        for_officer=True,  # the officer's own language is not shown to them
        reply_form=reply_form or forms.ReplyForm(),
        decision_form=decision_form or forms.DecisionForm(),
        **urls,
    ), status


def handle_officer_reply(inquiry, form, author) -> bool:
    if not form.validate():
        return False
    try:
        buyer.reply_as_officer(inquiry, form.body.data, form.revised_quotation.data, author)
    except ServiceError as error:
        # Shown beside the message: the revision box is hidden until a quotation exists.
        form.body.errors = [*form.body.errors, error.message]
        return False
    db.session.commit()
    flash(_("Your message is sent to the manufacturer."), "success")
    return True


def handle_decision(inquiry, form, author) -> bool:
    action = request.form.get("action")
    if action not in ("accept", "decline"):
        abort(400, description=_("Choose to accept or to decline."))
    quotation_id = request.form.get("quotation_id", "")
    if not form.validate() or not quotation_id.isdigit():
        form.form_errors.append(_("The decision could not be read; please try again."))
        return False
    try:
        if action == "accept":
            quotation = buyer.accept_quotation(inquiry, int(quotation_id), author)
        else:
            quotation = buyer.decline_quotation(
                inquiry, int(quotation_id), form.reason.data, author
            )
    except ServiceError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)
        return False
    db.session.commit()
    maker = inquiry.manufacturer.name
    if action == "accept":
        done = _(
            "You accepted quotation %(label)s. %(maker)s will be e-mailed.",
            label=quotation.label,
            maker=maker,
        )
    else:
        done = _(
            "You declined quotation %(label)s. %(maker)s will be e-mailed.",
            label=quotation.label,
            maker=maker,
        )
    flash(done, "success")
    return True


def handle_withdraw(inquiry, author) -> None:
    try:
        services.close("officer", inquiry, "withdrawn", author)
    except ServiceError as error:
        flash(error.message, "error")
        return
    db.session.commit()
    flash(_("The inquiry is withdrawn; the manufacturer will be e-mailed."), "success")


def comparison_response(inquiry, kind: str, urls: dict | None = None):
    """The side-by-side comparison of the quotations of the inquiry's basket."""
    target = request.args.get("currency") or None
    if target is not None and not is_currency(target):
        abort(400, description=_("Unknown currency."))
    group = buyer.group_of(inquiry)
    comparison = quotations.compare_group(group, target=target)
    name = f"quotations-{group[0].reference}"
    if kind == "csv":
        return Response(
            quotations.comparison_csv(comparison),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    if kind == "pdf":
        return Response(
            quotations.comparison_pdf(comparison, group),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment; filename={name}.pdf"},
        )
    return render_template(
        "inquiries/compare.html",
        comparison=comparison,
        column_chunks=quotations.column_chunks(comparison),
        group=group,
        rows=quotations.COMPARED,
        currencies=sorted({c.quotation.currency for c in comparison.columns}),
        **(urls or {}),
    )


def send_quotation_pdf(inquiry, quotation_id: int):
    """A quotation's PDF attachment, for whoever may see the inquiry (buyer, maker, staff)."""
    quotation = next((q for q in inquiry.quotations if q.id == quotation_id), None)
    if quotation is None or quotation.document is None:
        abort(404)
    return send_stored(
        document_key(quotation.document),
        mimetype="application/pdf",
        download_name=f"{inquiry.reference}-quotation-{quotation.label}.pdf",
    )


# --- The manufacturer's side (private link and portal) ------------------------------------------


def maker_page(inquiry, template, urls: dict, *, reply_form=None, quotation_form=None,
               close_form=None, status=200):  # fmt: skip
    """The maker's view of one inquiry (portal inbox or private link)."""
    return render_template(
        template,
        inquiry=inquiry,
        route=services.route_text(inquiry),
        timeline=buyer.timeline(inquiry, audience="manufacturer"),
        reply_due=services.reply_due(inquiry),
        reply_form=reply_form or forms.ReplyForm(),
        quotation_form=quotation_form or forms.quotation_form(inquiry),
        close_form=close_form or forms.CloseForm("manufacturer", prefix="c"),
        **urls,
    ), status


def handle_maker_reply(inquiry, form, actor) -> bool:
    if not form.validate():
        return False
    try:
        services.reply_as_manufacturer(actor, inquiry, form.body.data)
    except ServiceError as error:
        form.body.errors = [*form.body.errors, error.message]
        return False
    db.session.commit()
    flash(_("Reply sent; the buyer will be e-mailed."), "success")
    return True


def handle_quotation(inquiry, form, actor, via: str) -> bool:
    """Check and save a quotation version with its optional PDF; errors go beside their field."""
    if not form.validate():
        return False
    try:
        document_id = None
        upload = form.attachment.data
        if upload and upload.filename:
            document = store_document(
                upload, kind="quotation", title=f"Quotation {inquiry.reference}",
                uploader=actor, owner=inquiry.manufacturer, accept=("application/pdf",),
            )  # fmt: skip
            document_id = document.id
        quotation = quotations.submit_quotation(
            inquiry, form.offer(document_id), actor=actor, via=via
        )
    except ServiceError as error:
        db.session.rollback()
        # Upload errors name "file", which the form calls `attachment`.
        form.attach_error("attachment" if error.field == "file" else error.field, error.message)
        return False
    db.session.commit()
    flash(
        _("Quotation %(label)s sent; the buyer will be e-mailed.", label=quotation.label),
        "success",
    )
    return True
