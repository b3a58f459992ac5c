"""Two web nodes behind nginx, one worker, PostgreSQL, Redis and an S3 server (tests/cluster/
cluster.py, started from deploy/): what one machine could not prove.

Run with `make test-cluster`. A and B are reached directly (their own ports) where a scenario
needs to name the node, and through nginx otherwise.
"""

import io
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date, timedelta

import requests

from tests.cluster.cluster import MAKER_EMAIL, MAKER_SLUG, PASSWORD, ROOT, STAFF_EMAIL
from tests.cluster.web import Visitor, page_forms

INQUIRIES = 200
CLIENTS = 8  # concurrent submitters
KILL_AFTER = 60  # node A dies once this many inquiries have been answered


def _pdf(marker: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": marker})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _files_under(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_an_upload_through_a_downloads_through_b(cluster):
    a, b = cluster.nodes["A"], cluster.nodes["B"]
    maker = Visitor(a.url)
    maker.sign_in(MAKER_EMAIL, PASSWORD)
    content = _pdf(f"certificate {time.time()}")
    form = maker.form("/portal/profile", "/portal/documents")
    fields = dict(form["fields"]) | {"title": "Cluster certificate"}
    response = maker.post(
        "/portal/documents", data=fields,
        files={"file": ("certificate.pdf", content, "application/pdf")},
    )  # fmt: skip
    assert response.status_code == 302

    # Node B lists the document and sends its bytes, with the download's headers.
    page = maker.get("/portal/profile", base=b.url)
    document_id = max(int(i) for i in re.findall(r"/portal/documents/(\d+)\"", page.text))
    download = maker.get(f"/portal/documents/{document_id}", base=b.url)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers.get("ETag") and download.headers.get("Last-Modified")

    # The file is in the S3 server, and on neither node's disk.
    stored = [key for key, data in cluster.s3_objects().items() if data == content]
    assert len(stored) == 1 and stored[0].startswith("portal/uploads/"), stored
    for node in (a, b):
        assert not [p for p in _files_under(node.instance) if p.read_bytes() == content]


def test_a_brochure_started_on_a_is_built_by_the_worker_and_downloads_from_b(cluster):
    a, b = cluster.nodes["A"], cluster.nodes["B"]
    staff = Visitor(a.url)
    staff.sign_in(STAFF_EMAIL, PASSWORD)
    form = staff.form("/staff/exports/", "/staff/exports/")
    maker_ids = form["options_manufacturers"][:2]  # a small brochure: two makers' products
    fields = [(k, v) for k, v in form["fields"] if k != "manufacturers"]
    fields += [("title", "Cluster brochure")] + [("manufacturers", m) for m in maker_ids]
    response = staff.post("/staff/exports/", data=fields)
    assert response.status_code == 302
    ((job_id,),) = cluster.sql("SELECT max(id) FROM export_jobs")

    started = time.monotonic()
    seen: dict[str, set[str]] = {"A": set(), "B": set()}
    status = {}
    while time.monotonic() - started < 120:
        for node in (a, b):
            answer = staff.get(f"/staff/exports/{job_id}/status", base=node.url)
            assert answer.status_code == 200
            status = answer.json()
            assert status["id"] == job_id
            seen[node.name].add(status["status"])
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.3)
    took = time.monotonic() - started
    print(f"brochure: {took:.1f} s; states seen on A {seen['A']}, on B {seen['B']}")
    assert status["status"] == "done", status
    assert status["download_url"]
    # Both nodes answer the progress of the one job (the last poll of each says done).
    answers = [staff.get(f"/staff/exports/{job_id}/status", base=n.url).json() for n in (a, b)]
    assert answers[0] == answers[1]
    for node in (a, b):  # the staff page lists it, done, with its download
        page = staff.get("/staff/exports/", base=node.url).text
        assert f'id="job-{job_id}" data-status="done"' in page
        assert f"/staff/exports/{job_id}/download" in page

    download = staff.get(status["download_url"], base=b.url)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.headers["Content-Type"] == "application/pdf"
    stored = cluster.s3_objects()
    assert download.content in [v for k, v in stored.items() if "exports/brochures/" in k]


def test_a_rename_through_a_is_found_on_b_and_bs_cached_pages_follow_at_once(cluster):
    a, b = cluster.nodes["A"], cluster.nodes["B"]
    ((product_id, slug, name),) = cluster.sql(
        "SELECT p.id, p.slug, p.name FROM products p JOIN manufacturers m "
        "ON m.id = p.manufacturer_id WHERE m.slug = %(maker)s AND p.status = 'published' "
        "ORDER BY p.id LIMIT 1",
        maker=MAKER_SLUG,
    )
    pages = [f"/supplies/products/{slug}", f"/supplies/manufacturers/{MAKER_SLUG}",
             f"/supplies/products/?manufacturer={MAKER_SLUG}"]  # fmt: skip
    visitor = Visitor(b.url)
    for path in pages:  # kept in the shared cache, then served from it
        assert visitor.get(path).status_code == 200
        assert visitor.get(path).headers.get("X-Page-Cache") == "hit", path

    new_name = f"{name} Quokkalyte"
    maker = Visitor(a.url)
    maker.sign_in(MAKER_EMAIL, PASSWORD)
    edit = f"/portal/products/{product_id}/edit"
    form = maker.form(edit, edit)
    fields = [(k, new_name if k == "name" else v) for k, v in form["fields"]]
    assert maker.post(edit, data=fields).status_code == 302
    renamed = time.monotonic()

    for path in pages:
        assert new_name in visitor.get(path).text, path

    found_after = None
    while time.monotonic() - renamed < 3:
        results = visitor.get("/search?q=Quokkalyte")
        if f"/supplies/products/{slug}" in results.text:
            found_after = time.monotonic() - renamed
            break
        time.sleep(0.1)
    assert found_after is not None, "B's search did not find the new name within 3 s"
    print(f"search on B found the new name {found_after:.2f} s after the edit on A")


def _failed_sign_in(visitor: Visitor, base: str, token: str) -> int:
    data = {"csrf_token": token, "email": "nobody@cluster.example", "password": "wrong"}
    return visitor.post("/account/login", base, data=data).status_code


def test_rate_limits_are_shared_by_the_nodes_and_separate_per_client(cluster):
    a, b = cluster.nodes["A"], cluster.nodes["B"]
    # What nginx would send for client 10.7.7.7: the nodes take the address two proxies back.
    client = Visitor(a.url, forwarded_for="10.7.7.7, 127.0.0.1")
    token = dict(client.form("/account/login", "/account/login")["fields"])["csrf_token"]
    statuses = [_failed_sign_in(client, node.url, token) for node in (a, b) * 5]
    assert 429 not in statuses, statuses
    assert _failed_sign_in(client, a.url, token) == 429
    assert _failed_sign_in(client, b.url, token) == 429

    # Through nginx (round robin over A and B): one client is limited, another is not.
    logged = {node.name: node.web.log.stat().st_size for node in (a, b)}
    first, second = Visitor(cluster.url, "10.8.8.1"), Visitor(cluster.url, "10.8.8.2")
    token = dict(first.form("/account/login", "/account/login")["fields"])["csrf_token"]
    statuses = [_failed_sign_in(first, cluster.url, token) for _ in range(10)]
    assert 429 not in statuses, statuses
    assert _failed_sign_in(first, cluster.url, token) == 429
    token = dict(second.form("/account/login", "/account/login")["fields"])["csrf_token"]
    assert _failed_sign_in(second, cluster.url, token) != 429
    # nginx spread those sign-ins over both nodes (each node's access log).
    for node in (a, b):
        assert b"POST /account/login" in node.web.log.read_bytes()[logged[node.name] :]


def test_nginx_serves_the_static_files_itself(cluster):
    response = requests.get(f"{cluster.url}/static/css/site.css", timeout=10)
    assert response.status_code == 200
    assert response.content == (ROOT / "static" / "css" / "site.css").read_bytes()
    assert "max-age=3600" in response.headers["Cache-Control"]
    for node in cluster.nodes.values():
        assert "/static/css/site.css" not in node.web.log.read_text()


RETRIED = (502, 503, 504)
FUTURE = (date.today() + timedelta(days=60)).isoformat()


def _submit_inquiry(base: str, number: int, slug: str) -> tuple[int, int]:
    """Fetch the form and send it, as a visitor whose address is its own; a 502 or a dropped
    connection is answered by sending the very same form again. (number, attempts)"""
    visitor = Visitor(base, forwarded_for=f"10.20.{number // 200}.{number % 200 + 1}")
    path = f"/inquiry/new?product={slug}"
    attempts = 0
    while True:  # the form itself, whichever node is up
        attempts += 1
        try:
            response = visitor.get(path)
            if response.status_code not in RETRIED:
                break
        except requests.ConnectionError:
            pass
        assert attempts < 30, "the form could not be fetched"
        time.sleep(0.2)
    assert response.status_code == 200, response.status_code
    form = next(f for f in page_forms(response.text) if f["method"] == "post")
    data = dict(form["fields"]) | {
        "name": f"Buyer {number}", "organisation": "Cluster City", "email": _buyer(number),
        "country": "BR", "required_by": FUTURE, "consent": "y", "lines-0-quantity": "1000",
    }  # fmt: skip
    assert data["form_token"] and data["csrf_token"]
    while True:
        attempts += 1
        try:
            response = visitor.post(path, data=data)
            if response.status_code not in RETRIED:
                break
        except requests.ConnectionError:
            pass
        assert attempts < 30, "the form could not be sent"
        time.sleep(0.2)
    assert response.status_code == 302, (response.status_code, response.text[:500])
    assert response.headers["Location"].endswith("/inquiry/sent")
    return number, attempts


def _buyer(number: int) -> str:
    return f"buyer-{number}@cluster.example"


def test_killing_node_a_during_inquiries_loses_and_repeats_nothing(cluster):
    slugs = [s for (s,) in cluster.sql("SELECT slug FROM products WHERE status = 'published'")]
    started = time.monotonic()
    answered, attempts = 0, Counter[int]()
    killed_at = None
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_submit_inquiry, cluster.url, n, slugs[n % len(slugs)])
            for n in range(INQUIRIES)
        ]
        for future in as_completed(futures):
            number, tries = future.result()
            attempts[number] = tries
            answered += 1
            if answered == KILL_AFTER:
                cluster.kill_web("A")  # SIGKILL to node A's whole process group
                killed_at = time.monotonic() - started
    submitted = time.monotonic() - started
    retried = sum(1 for tries in attempts.values() if tries > 2)
    print(f"{INQUIRIES} inquiries in {submitted:.1f} s; node A killed at {killed_at:.1f} s; "
          f"{retried} sent again after a 502 or a dropped connection")  # fmt: skip
    # Both nodes filed inquiries: A until it was killed in the middle of the run, B throughout.
    for node in cluster.nodes.values():
        assert b"POST /inquiry/new" in node.web.log.read_bytes(), node.name
    cluster.restart_web("A")

    # Every inquiry is in the database once, with a reference of its own.
    rows = cluster.sql("SELECT email, reference FROM inquiries WHERE email LIKE 'buyer-%%'")
    per_buyer = Counter(email for email, _reference in rows)
    assert sorted(per_buyer) == sorted(_buyer(n) for n in range(INQUIRIES))
    assert set(per_buyer.values()) == {1}
    references = Counter(reference for _email, reference in rows)
    assert max(references.values()) == 1

    # The worker sends each e-mail of the outbox once, and only once.
    started = time.monotonic()
    while time.monotonic() - started < 120:
        ((waiting,),) = cluster.sql(
            "SELECT count(*) FROM outbound_emails WHERE status IN ('pending', 'sending')"
        )
        if not waiting:
            break
        time.sleep(0.5)
    print(f"outbox sent {time.monotonic() - started:.1f} s after the last inquiry")
    assert not waiting, f"{waiting} e-mails still unsent after 120 s"
    time.sleep(4)  # no second copy arrives late
    sent = {row[0] for row in cluster.sql("SELECT id FROM outbound_emails WHERE status = 'sent'")}
    ((total,),) = cluster.sql("SELECT count(*) FROM outbound_emails")
    assert len(sent) == total  # none failed
    received = Counter(
        int(match.group(1))
        for message in cluster.smtp.inbox.messages
        if (match := re.search(r"outbox-(\d+)", message["Message-ID"] or ""))
    )
    assert set(received) == sent
    assert max(received.values()) == 1, [i for i, n in received.items() if n > 1]
    for n in range(INQUIRIES):
        confirmations = cluster.smtp.inbox.to(_buyer(n))
        assert len(confirmations) == 1, _buyer(n)
