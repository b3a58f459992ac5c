"""Staff exports: brochure jobs of the whole or a filtered catalogue, their progress and files."""

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.exports import brochures as exports
from catalogue.exports import tasks
from catalogue.exports.forms import BrochureForm
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.storage import send_stored
from catalogue.staff.views import bp


def _form() -> BrochureForm:
    form = BrochureForm()
    form.set_choices(exports.brochure_choices())
    return form


def _list_page(form: BrochureForm, status: int = 200):
    # Read-only: files past their retention are deleted by the periodic clean-up (exports/tasks.py).
    return render_template(
        "staff/export_list.html",
        form=form,
        jobs=exports.recent_jobs(),
        describe=exports.describe_brochure,
        default_title=exports.DEFAULT_BROCHURE_TITLE,
        retention_days=current_app.config["EXPORT_RETENTION_DAYS"],
    ), status


def _job_or_404(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None:
        abort(404, description=_("There is no such export."))
    return job


@bp.get("/exports/")
def export_list():
    return _list_page(_form())


@bp.post("/exports/")
def export_create():
    form = _form()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    params = form.parameters() | {"base_url": request.url_root}
    try:
        job = exports.create_brochure_job(current_user, params)
    except ServiceError as error:
        form.form_errors.append(error.message)
        return _list_page(form, 400)
    db.session.commit()
    tasks.submit(job)
    flash(
        _("Brochure export %(number)s started. This page shows its progress.", number=job.id),
        "success",
    )
    return redirect(url_for("staff.export_list"))


@bp.get("/exports/<int:job_id>/status")
def export_status(job_id):
    job = _job_or_404(job_id)
    return jsonify(
        id=job.id,
        status=job.status,
        stage=job.stage,
        done=job.progress_done,
        total=job.progress_total,
        percent=job.percent,
        error=job.error,
        download_url=url_for("staff.export_download", job_id=job.id)
        if exports.job_file(job)
        else None,
    )


@bp.get("/exports/<int:job_id>/download")
def export_download(job_id):
    job = _job_or_404(job_id)
    key = exports.job_file(job)
    if key is None:
        abort(
            404,
            description=_("This export has no file: not finished, or past its retention."),
        )
    return send_stored(key, mimetype="application/pdf", download_name=job.download_name)


@bp.post("/exports/<int:job_id>/retry")
def export_retry(job_id):
    job = _job_or_404(job_id)
    try:
        exports.retry_job(current_user, job)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("staff.export_list")), 303
    db.session.commit()
    tasks.submit(job)
    flash(_("Brochure export %(number)s started again.", number=job.id), "success")
    return redirect(url_for("staff.export_list"))
