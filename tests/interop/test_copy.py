"""`reltui copy`: a whole book to another database and back, checked table by table.

With RELTUI_TEST_PG set the middle book is on PostgreSQL, so these are the round trips
SQLite -> PostgreSQL -> SQLite; without it, SQLite to SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from reltui.domain.errors import StoreRefused
from reltui.sample import generate
from reltui.services import Services
from reltui.services.copying import copy_book, table_sums
from reltui.services.metrics import compute_metrics, metrics_to_json
from reltui.store import open_store

SRC = Path(__file__).resolve().parents[2] / "src"
END = date(2026, 11, 22)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.db"
    store = open_store(path)
    try:
        generate(store, parties=120, seed=11, today=END)
    finally:
        store.close()
    return path


def figures(book) -> dict:  # noqa: ANN001
    store = open_store(book)
    try:
        return {segment: metrics_to_json(compute_metrics(Services(store), None, END, segment))
                for segment in ("all", "b2c", "b2b")}
    finally:
        store.close()


def test_a_book_goes_across_and_back_unchanged(source, book_factory, tmp_path):
    middle, back = book_factory("middle"), tmp_path / "back.db"
    there = copy_book(source, middle)
    assert there.ok and there.rows > 2000
    assert {t.table: t.copied_rows for t in there.tables}["party"] == 120
    home = copy_book(middle, back)
    assert home.ok
    assert table_sums(open_store(source)) == table_sums(open_store(back))
    assert figures(source) == figures(middle) == figures(back)
    # the destination built its own search index and id sequences
    store = open_store(middle)
    try:
        svc = Services(store)
        someone = svc.list_parties(limit=1)[0]
        word = someone.name.split()[0][:3]
        assert someone.id in {p.id for p in svc.list_parties(search=word, limit=10_000)}
    finally:
        store.close()


def test_new_rows_after_a_copy_get_new_ids(source, book_factory):
    middle = book_factory("middle")
    copy_book(source, middle)
    store = open_store(middle)
    try:
        svc = Services(store)
        from reltui.domain.records import PartyIn

        new_id = svc.add_party(PartyIn(name="After The Copy"))
        with store.read() as conn:
            assert new_id == conn.execute(text("SELECT max(id) FROM party")).scalar_one()
        assert new_id > 120
    finally:
        store.close()


def test_a_book_with_data_is_replaced_only_when_asked(source, book_factory):
    middle = book_factory("middle")
    store = open_store(middle)
    try:
        generate(store, parties=5, seed=1, today=END)
    finally:
        store.close()
    with pytest.raises(StoreRefused, match="--force"):
        copy_book(source, middle)
    assert figures(middle)["all"]["ladder"] != figures(source)["all"]["ladder"]
    assert copy_book(source, middle, force=True).ok
    assert figures(middle) == figures(source)


def test_the_check_sees_a_changed_row(source, book_factory):
    middle = book_factory("middle")
    copy_book(source, middle)
    store = open_store(middle)
    try:
        with store.write() as conn:
            conn.execute(text("UPDATE interaction SET subject = 'changed' WHERE id = 1"))
        after = table_sums(store)
    finally:
        store.close()
    before = table_sums(open_store(source))
    assert after["interaction"][0] == before["interaction"][0]  # same number of rows ...
    assert after["interaction"][1] != before["interaction"][1]  # ... but not the same rows
    assert {k: v for k, v in after.items() if k != "interaction"} == \
        {k: v for k, v in before.items() if k != "interaction"}


def test_the_copy_command(source, book_factory, tmp_path):
    middle = book_factory("middle")
    env = {"PYTHONPATH": str(SRC), "HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "reltui", "copy", str(source), str(middle)]
    done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Copied ") and "rows from" in lines[0]
    assert sum("same rows, same checksum" in line for line in lines) == 10
    again = subprocess.run(run, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 2 and "--force" in again.stderr and not again.stdout
    listing = subprocess.run([sys.executable, "-m", "reltui", "list", "--json", "--db", str(middle)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert len(json.loads(listing.stdout)) == 120


def test_the_sample_generator_writes_the_same_book_on_either_engine(source, book_factory):
    """The same seed and day give the same rows in a file and in the middle book."""
    middle = book_factory("generated")
    store = open_store(middle)
    try:
        generate(store, parties=120, seed=11, today=END)
        there = table_sums(store)
    finally:
        store.close()
    assert there == table_sums(open_store(source))
