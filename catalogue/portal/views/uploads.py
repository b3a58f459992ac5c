"""Company documents and downloads of the manufacturer's own files."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.audit.services import record_change
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.lib.storage import send_stored
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import changes
from catalogue.supplies.forms import DocumentForm
from catalogue.supplies.uploads import document_key, store_document


def store_posted_document(owner, form: DocumentForm) -> bool:
    """Store the posted file for a product or the company (audited) and commit.

    On failure nothing is stored and the message sits beside the field it concerns.
    """
    if not form.validate():
        return False
    try:
        store_document(
            form.file.data, kind=form.kind.data, title=form.title.data, uploader=current_user,
            owner=owner,
        )  # fmt: skip
    except ServiceError as error:
        db.session.rollback()
        field = form.kind if error.field == "kind" else form.file
        field.errors = [*field.errors, error.message]
        return False
    record_change(current_user, owner, "documents", None, form.file.data.filename)
    db.session.commit()
    return True


def upload_document(owner, target: str):
    """Store the posted file (see store_posted_document), flash the outcome, go back to target."""
    form = DocumentForm()
    if store_posted_document(owner, form):
        flash(
            _(
                "Document uploaded. Buyers see it as “Uploaded by the manufacturer — not checked "
                "by CAC” until CAC staff have checked it."
            ),
            "success",
        )
    else:
        problems = [
            field.errors[0]
            if field is form.file
            else _("%(field)s: %(problem)s", field=field.label.text, problem=field.errors[0])
            for field in form
            if field.errors
        ]
        reason = problems[0] if problems else _("check the form.")
        flash(_("Document not uploaded: %(reason)s", reason=reason), "error")
    return redirect(target)


@bp.post("/documents")
def company_document_upload():
    maker = services.own_manufacturer(current_user)
    return upload_document(maker, url_for("portal.profile_edit", _anchor="documents"))


@bp.get("/documents/<int:document_id>")
def document_download(document_id):
    document = services.own_upload(current_user, document_id)
    return send_stored(
        document_key(document), mimetype=document.content_type, download_name=document.filename
    )


@bp.post("/documents/<int:document_id>/delete")
def document_delete(document_id):
    document = services.own_upload(current_user, document_id)
    product_id = document.product_id
    try:
        unlinked = changes.remove_upload(current_user, document)
    except ServiceError as error:
        db.session.rollback()
        abort(409, description=error.message)
    db.session.commit()  # the file goes with the commit (supplies/uploads.py)
    flash(_("Upload deleted."), "success")
    for approval in unlinked:
        flash(
            _(
                "It was the document of the approval claim “%(authority)s”, which no longer has "
                "a document.",
                authority=approval.authority_label,
            ),
            "info",
        )
    if product_id:
        return redirect(url_for("portal.product_edit", product_id=product_id))
    return redirect(url_for("portal.profile_edit", _anchor="documents"))
