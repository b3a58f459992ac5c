"""Staff brochures: the export page, jobs and their progress, the PDF's contents and index."""

import io
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from catalogue.exports import brochures, pdf, tasks
from catalogue.exports.models import ExportJob
from catalogue.extensions import db
from catalogue.lib.dates import utcnow
from catalogue.lib.storage import storage

SUMMARY = (
    "Real-time RT-PCR reagent for the qualitative detection of SARS-CoV-2 nucleic acid in "
    "upper respiratory specimens, with an internal control in every reaction well."
)


@pytest.fixture
def catalogue(make_manufacturer, make_category, make_product):
    pcr = make_category(slug="rt-pcr", name="RT-PCR reagents")
    antigen = make_category(slug="rapid-antigen", name="Rapid antigen tests")
    alpha = make_manufacturer(slug="alpha", name="Alpha Bio Inc.", name_ko="알파바이오")
    beta = make_manufacturer(slug="beta", name="Beta Diagnostics Co., Ltd.")
    gamma = make_manufacturer(slug="gamma", name="Gamma Medical Inc.")
    delta = make_manufacturer(slug="delta", name="Delta Draft Co.")
    make_product(
        slug="alpha-ag",
        name="Rapid Nasal Antigen One",
        manufacturer=alpha,
        category=antigen,
        approvals=[{"authority": "ce_ivd", "status": "verified"}],
    )
    # Enough products for Beta's section to run over more than one page.
    for n in range(1, 10):
        make_product(
            slug=f"beta-pcr-{n}",
            name=f"Multiplex PCR Panel {n}",
            manufacturer=beta,
            category=pcr,
            summary=SUMMARY,
            technology="real-time RT-PCR",
            targets=["E", "RdRP", "N"],
            approvals=[{"authority": "fda_eua", "status": "claimed"}],
        )
    make_product(slug="gamma-ag", name="Saliva Antigen Card", manufacturer=gamma, category=antigen)
    make_product(
        slug="gamma-pcr",
        name="Extraction-free PCR",
        manufacturer=gamma,
        category=pcr,
        approvals=[{"authority": "fda_eua", "status": "verified"}],
    )
    make_product(slug="delta-draft", name="Unreleased Kit", manufacturer=delta, status="draft")
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta}


@pytest.fixture
def staff(make_user, login):
    return login(make_user(role="staff", name="Min-ji Staff"))


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _download(client, job_id) -> bytes:
    response = client.get(f"/staff/exports/{job_id}/download")
    assert response.status_code == 200
    data = response.data
    response.close()
    return data


def _latest_job() -> ExportJob:
    return db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id.desc())).first()


def test_export_page_is_for_staff_only(client, make_user, login):
    login(make_user(role="officer"))
    assert client.get("/staff/exports/").status_code == 403
    assert client.post("/staff/exports/", data={}).status_code == 403
    login(make_user(role="manufacturer"))
    assert client.get("/staff/exports/1/download").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/staff/exports/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_staff_menu_and_page_offer_the_brochure_form(client, staff, catalogue):
    html = client.get("/staff/exports/").get_data(as_text=True)
    assert 'href="/staff/exports/"' in html  # the staff menu entry
    assert 'name="csrf_token"' in html
    assert "Alpha Bio Inc." in html and "Delta Draft Co." not in html  # makers with products
    assert "CE marking (IVD)" in html and "Rapid antigen tests" in html
    assert "No exports yet." in html


def test_whole_catalogue_brochure_has_contents_matching_its_sections(client, staff, catalogue):
    response = client.post("/staff/exports/", data={"title": "Diagnostics for partner cities"})
    assert response.status_code == 302
    job = _latest_job()
    assert job.status == "done", job.error
    pages = _pages(_download(client, job.id))
    assert job.page_count == len(pages)
    assert "Diagnostics for partner cities" in pages[0] and "Whole catalogue" in pages[0]
    assert "3 manufacturers · 12 products" in pages[0]

    contents = "\n".join(p for p in pages if "Contents" in p or "(1 product)" in p)
    makers = ["Alpha Bio Inc.", "Beta Diagnostics Co., Ltd.", "Gamma Medical Inc."]
    starts = []
    for name in makers:
        line = next(line for line in contents.splitlines() if name in line)
        starts.append(int(re.findall(r"(\d+)\s*$", line)[0]))
    assert "Delta Draft Co." not in "\n".join(pages)
    index_line = next(line for line in contents.splitlines() if "Index of products" in line)
    index_start = int(re.findall(r"(\d+)\s*$", index_line)[0])
    assert starts == sorted(starts) and starts[0] > 1
    assert starts[2] - starts[1] >= 2  # Beta's section runs over two pages or more

    # Each maker's name appears on exactly the pages from its listed start to the next section.
    ends = [*starts[1:], index_start]
    for name, start, end in zip(makers, starts, ends, strict=True):
        on = [n for n in range(starts[0], index_start) if name in pages[n - 1]]
        assert on == list(range(start, end)), name
    assert "Index of products" in pages[index_start - 1]
    assert "알파바이오" in pages[starts[0] - 1]
    index_text = "\n".join(pages[index_start - 1 :])
    assert "Multiplex PCR Panel 9" in index_text and "Saliva Antigen Card" in index_text
    assert f"Page 2 of {len(pages)}" in pages[1]


def test_filtered_brochure_holds_only_matching_products(client, staff, catalogue):
    client.post(
        "/staff/exports/",
        data={"authority": "fda_eua", "manufacturers": ["gamma", "alpha"]},
    )
    job = _latest_job()
    assert job.status == "done", job.error
    text = "\n".join(_pages(_download(client, job.id)))
    assert "Extraction-free PCR" in text
    assert "Saliva Antigen Card" not in text  # Gamma's product without an FDA EUA
    assert "Alpha Bio Inc." not in text  # its only product has no FDA EUA
    assert "Multiplex PCR Panel" not in text  # Beta was not chosen
    assert "Approval: FDA EUA · 2 chosen manufacturers" in text


def test_selection_without_products_is_refused_with_a_message(client, staff, catalogue):
    response = client.post(
        "/staff/exports/", data={"category": "rapid-antigen", "manufacturers": ["beta"]}
    )
    assert response.status_code == 400
    assert "No published product matches these filters" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ExportJob.id))) == 0


def test_unknown_choices_are_refused(client, staff, catalogue):
    response = client.post("/staff/exports/", data={"manufacturers": ["no-such-maker"]})
    assert response.status_code == 400
    assert "&#39;no-such-maker&#39; is not a valid choice" in response.get_data(as_text=True)
    response = client.post("/staff/exports/", data={"title": "x" * 200})
    assert response.status_code == 400


def test_job_progress_moves_from_zero_to_total(client, staff, catalogue, monkeypatch):
    seen = []
    real = tasks.save_progress

    def record(job, done, stage):
        seen.append((done, job.progress_total, job.status))
        real(job, done, stage)

    monkeypatch.setattr(tasks, "save_progress", record)
    client.post("/staff/exports/", data={})
    job = _latest_job()
    assert job.status == "done"
    total = job.progress_total
    assert seen[0] == (0, total, "running")
    done_values = [done for done, _total, _status in seen]
    assert done_values == sorted(done_values)
    # 3 sections prepared, then page by page through the layout, then the file written.
    assert {1, 2, 3} < set(done_values) and len(set(done_values)) > 5
    assert max(done_values) < total == job.progress_done
    assert {t for _done, t, _status in seen} == {total}

    html = client.get("/staff/exports/").get_data(as_text=True)
    assert f'<progress value="{total}" max="{total}"' in html
    assert f'job-done">{total}</span> of <span class="job-total">{total}</span> steps' in html
    assert "Download PDF" in html and f"{job.page_count} pages" in html
    status = client.get(f"/staff/exports/{job.id}/status").get_json()
    assert status["status"] == "done" and status["done"] == status["total"] == total
    assert status["download_url"] == f"/staff/exports/{job.id}/download"


def test_queued_job_shows_zero_progress_and_is_polled(client, staff, catalogue):
    job = brochures.create_brochure_job(staff, {"manufacturers": ["alpha"]})
    db.session.commit()
    html = client.get("/staff/exports/").get_data(as_text=True)
    assert f'data-status-url="/staff/exports/{job.id}/status"' in html
    assert f'<progress value="0" max="{job.progress_total}"' in html
    assert "Refresh to see progress" in html
    assert 'src="/static/js/export-progress.js"' in html
    status = client.get(f"/staff/exports/{job.id}/status").get_json()
    assert status == {
        "id": job.id,
        "status": "queued",
        "stage": "Waiting for a worker",
        "done": 0,
        "total": job.progress_total,
        "percent": 0,
        "error": None,
        "download_url": None,
    }
    assert client.get(f"/staff/exports/{job.id}/download").status_code == 404


def test_failed_job_shows_its_error_and_can_be_retried(client, staff, catalogue, monkeypatch):
    def broken(html, on_page=None):
        raise RuntimeError("the PDF engine ran out of memory")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    client.post("/staff/exports/", data={})
    job = _latest_job()
    assert job.status == "failed"
    html = client.get("/staff/exports/").get_data(as_text=True)
    assert "Failed: RuntimeError: the PDF engine ran out of memory" in html
    assert f'action="/staff/exports/{job.id}/retry"' in html

    monkeypatch.undo()
    response = client.post(f"/staff/exports/{job.id}/retry")
    assert response.status_code == 302
    db.session.refresh(job)
    assert job.status == "done" and job.error is None
    assert _download(client, job.id).startswith(b"%PDF-")
    # A finished job cannot be "retried" again.
    again = client.post(f"/staff/exports/{job.id}/retry", follow_redirects=True)
    assert "Only a failed export can be retried." in again.get_data(as_text=True)


def test_files_are_deleted_after_the_retention_period(client, app, staff, catalogue):
    client.post("/staff/exports/", data={"manufacturers": ["alpha"]})
    job = _latest_job()
    key = brochures.job_file(job)
    assert key is not None and storage().stat(key) is not None
    assert job.expires_at - job.finished_at == timedelta(days=app.config["EXPORT_RETENTION_DAYS"])

    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    # Viewing the page deletes nothing: the periodic clean-up does. Until it runs, the expired
    # file is no longer offered.
    client.get("/staff/exports/")
    assert storage().stat(key) is not None
    assert client.get(f"/staff/exports/{job.id}/download").status_code == 404
    assert tasks.clean_up_exports() == 1
    html = client.get("/staff/exports/").get_data(as_text=True)
    assert storage().stat(key) is None
    assert "File deleted after" in html
    assert client.get(f"/staff/exports/{job.id}/download").status_code == 404


def test_stalled_running_job_is_marked_failed(client, staff, catalogue):
    job = brochures.create_brochure_job(staff, {})
    job.status = "running"
    db.session.commit()
    db.session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job.id)
        .values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert "The worker stopped" not in client.get("/staff/exports/").get_data(as_text=True)
    tasks.clean_up_exports()
    html = client.get("/staff/exports/").get_data(as_text=True)
    assert "The worker stopped before finishing" in html


def test_background_thread_runs_the_job(app, staff, catalogue):
    # The default (no Redis, not synchronous): a thread of the app process runs the job.
    app.config["JOBS_SYNC"] = False
    # Links in the brochure come from SITE_URL, whatever address the job was started from.
    app.config["SITE_URL"] = "https://portal.example"
    job = brochures.create_brochure_job(staff, {"manufacturers": ["alpha"]})
    job.parameters = {**job.parameters, "base_url": "http://elsewhere.example/"}
    db.session.commit()
    with app.test_request_context():
        tasks.submit(job)
    thread = next(t for t in threading.enumerate() if t.name == f"job-run_brochure_job-{job.id}")
    thread.join(timeout=60)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.status == "done", job.error
    text = "\n".join(_pages(storage().get(brochures.job_file(job))))
    assert "https://portal.example/supplies/products/alpha-ag/spec-sheet.pdf" in text


def test_cleanup_command(runner, catalogue):
    result = runner.invoke(args=["exports", "cleanup"])
    assert result.exit_code == 0
    assert "Deleted 0 expired brochure files." in result.output
