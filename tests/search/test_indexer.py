"""The index follows the database: commits, rebuilds, broken indexes, several writers."""

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.search.indexer import (
    apply_pending_changes,
    ensure_index,
    prune_changes,
    rebuild_index,
)
from catalogue.search.models import SearchChange
from catalogue.search.store import get_index

pytestmark = pytest.mark.postgresql


def _titles(client, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_publishing_makes_a_product_findable_and_archiving_removes_it(
    client, make_product, sync_index
):
    product = make_product(name="Zyvolux Antigen Cassette", status="draft")
    sync_index()
    assert "Zyvolux Antigen Cassette" not in _titles(client, "zyvolux")

    product.status = "published"
    db.session.commit()
    sync_index()
    assert "Zyvolux Antigen Cassette" in _titles(client, "zyvolux")

    product.status = "archived"
    db.session.commit()
    sync_index()
    assert "Zyvolux Antigen Cassette" not in _titles(client, "zyvolux")


def test_an_edit_reaches_the_index_only_once_committed(client, make_product, sync_index):
    product = make_product(name="Quorvane PCR Kit")
    sync_index()  # builds the index
    sync_index()  # re-applies the changes of the last minute (a rebuild's safety overlap)
    product.name = "Quorvane PCR Kit Plus"
    db.session.flush()
    db.session.rollback()
    assert sync_index() == 0  # the rolled-back flush left no change behind
    assert "Quorvane PCR Kit Plus" not in _titles(client, "quorvane")

    product.name = "Quorvane Multiplex PCR Kit"
    db.session.commit()
    sync_index()
    text = _titles(client, "multiplex quorvane")
    assert "Quorvane Multiplex PCR Kit" in text


def test_deleting_and_renaming_a_maker_follows_to_its_products(
    client, make_product, make_manufacturer, sync_index
):
    maker = make_manufacturer(name="Brightwell Diagnostics")
    make_product(name="Brightwell Swab Kit", manufacturer=maker)
    doomed = make_product(name="Ephemeral Reagent Kit")
    sync_index()
    assert "Brightwell Swab Kit" in _titles(client, "brightwell")

    maker.name = "Lumeridge Diagnostics"
    db.session.delete(doomed)
    db.session.commit()
    sync_index()
    assert "Brightwell Swab Kit" in _titles(client, "lumeridge")  # found by its maker's new name
    assert "Ephemeral Reagent Kit" not in _titles(client, "ephemeral")


def test_an_approval_change_updates_the_facets(client, make_product, sync_index):
    product = make_product(name="Facetta Rapid Test", approvals=[{"authority": "ce_ivd"}])
    sync_index()
    response = client.get("/search?q=facetta&approval=ce_ivd")
    assert "Facetta Rapid Test" in response.get_data(as_text=True)
    product.approvals[0].status = "rejected"
    db.session.commit()
    sync_index()
    response = client.get("/search?q=facetta&approval=ce_ivd")
    assert "Facetta Rapid Test" not in response.get_data(as_text=True)


def test_model_numbers_are_searchable(client, make_product, sync_index):
    make_product(name="Nasal Antigen Test", model_number="NAT-2040K")
    make_product(name="Another Antigen Test")
    sync_index()
    text = _titles(client, "NAT-2040K")
    assert "Nasal Antigen Test" in text and "Another Antigen Test" not in text


def test_a_missing_index_falls_back_to_the_database_with_a_notice(client, make_product, app):
    make_product(name="Fallbacker Antigen Test")
    text = _titles(client, "fallbacker")
    assert "Search is being rebuilt" in text
    assert "Fallbacker Antigen Test" in text
    suggestions = client.get("/search/suggest?q=fallb").get_json()["suggestions"]
    assert suggestions[0]["label"] == "Fallbacker Antigen Test"
    assert client.get("/healthz").get_json()["search"]["status"] == "unavailable"


def test_a_corrupt_index_is_detected_and_rebuilt_at_start_up(client, make_product, app):
    make_product(name="Resilio Saliva Test")
    rebuild_index()
    gen = get_index(app.config["SEARCH_INDEX_DIR"]).generation_dir()
    for name in os.listdir(gen):
        if name.endswith((".toc", ".seg", ".trm", ".pst")):
            (gen / name).write_bytes(b"garbage")
    get_index(app.config["SEARCH_INDEX_DIR"]).close()

    assert client.get("/search?q=resilio").status_code == 200  # degraded, not an error
    assert ensure_index() is False  # found broken, rebuilt
    assert ensure_index() is True
    assert "Resilio Saliva Test" in _titles(client, "resilio")
    assert "Search is being rebuilt" not in _titles(client, "resilio")


def test_reindex_swaps_in_a_new_generation_atomically(runner, make_product, app):
    make_product(name="Swapfield Antigen Test")
    root = app.config["SEARCH_INDEX_DIR"]
    output = runner.invoke(args=["search", "reindex"]).output
    assert "3 documents" in output  # the product, its maker and its category
    first = get_index(root).generation_dir()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0
    second = get_index(root).generation_dir()
    assert first != second and not first.exists()
    assert os.path.islink(os.path.join(root, "current"))


def test_only_one_process_writes_at_a_time(app, make_product, sync_index):
    make_product(name="Lockstep Test")
    ix = get_index(app.config["SEARCH_INDEX_DIR"])
    holding, release = threading.Event(), threading.Event()

    def other_writer():
        with ix.writer_lock() as mine:
            assert mine
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    holding.wait(5)
    try:
        assert apply_pending_changes() is None  # skipped its turn, no error
    finally:
        release.set()
        thread.join()
    assert sync_index() == 0  # built the missing index now that the lock is free


def test_catching_up_after_downtime_applies_every_change_since(client, make_product, sync_index):
    sync_index()
    for n in range(5):
        make_product(name=f"Backlog Kit {n}")
    assert sync_index() >= 5
    text = _titles(client, "backlog")
    assert all(f"Backlog Kit {n}" in text for n in range(5))


def test_healthz_reports_index_counts_against_the_database(client, make_product, sync_index):
    make_product(name="Healthy Kit")
    sync_index()
    search = client.get("/healthz").get_json()["search"]
    assert search["status"] == "ok"
    assert (
        search["documents"]
        == search["database"]
        == {
            "product": 1,
            "manufacturer": 1,
            "category": 1,
            "news": 0,
            "note": 0,
            "measure": 0,
        }
    )
    make_product(name="Unsynced Kit")
    search = client.get("/healthz").get_json()["search"]
    assert search["status"] == "catching_up"
    assert search["documents"]["product"] == 1 and search["database"]["product"] == 2


def test_old_change_rows_are_pruned_and_a_stale_index_is_rebuilt(app, make_product, sync_index):
    make_product(name="Oldtimer Kit")
    sync_index()
    long_ago = datetime.now(UTC) - timedelta(days=30)
    db.session.execute(sa.update(SearchChange).values(created_at=long_ago))
    db.session.commit()
    assert prune_changes() == 3
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(SearchChange.id))) == 0

    # An index that last caught up before the oldest kept row cannot catch up: rebuild it.
    ix = get_index(app.config["SEARCH_INDEX_DIR"])
    before = ix.generation_dir()
    ix.write_state({**ix.read_state(), "applied_at": long_ago.isoformat()})
    sync_index()
    assert ix.generation_dir() != before


def test_a_kept_search_page_is_served_only_while_the_index_is_unchanged(
    client, make_product, sync_index, app
):
    product = make_product(name="Pellucid Saliva Kit")
    sync_index()
    assert "Pellucid Saliva Kit" in _titles(client, "pellucid")
    assert client.get("/search?q=pellucid").headers.get("X-Page-Cache") == "hit"

    # The index alone changes (the database's catalogue does not): the kept page is not used.
    ix = get_index(app.config["SEARCH_INDEX_DIR"])
    ix.apply([], [f"product:{product.id}"], ix.read_state())
    assert "Pellucid Saliva Kit" not in _titles(client, "pellucid")
