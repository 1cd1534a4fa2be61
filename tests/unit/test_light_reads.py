"""Plain-SQL reads (reltui.services.reads) and what the start path imports.

`Store.rows` runs one SQL text on SQLite's own driver; the same text must give
the same rows through SQLAlchemy (the path another engine would take), and the
reads must agree with the SQLAlchemy queries of the screens that show the same
follow-ups.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date, datetime, time, timedelta

import pytest

from reltui.domain.errors import InvalidInput, StoreRefused, StoreUnavailable
from reltui.sample import generate
from reltui.services import Services
from reltui.services.reads import FOLLOW_UPS_SQL, PARTY_SQL, Reads
from reltui.store import open_store
from reltui.store.engine import _translate_errors

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 30)


@pytest.fixture(scope="module")
def book(module_book_factory):
    path = module_book_factory("light")
    store = open_store(path)
    try:
        generate(store, parties=120, seed=3, today=TODAY)
        svc = Services(store, clock=lambda: NOW)
        party = svc.list_parties(limit=1)[0].id
        # ties on the day, a time of day and a done one: the order and the types must hold
        svc.schedule_follow_up(party, TODAY, "at nine", due_time=time(9, 0), priority="high",
                               repeat="weekly")
        svc.schedule_follow_up(party, TODAY, "no time")
        svc.complete_follow_up(svc.schedule_follow_up(party, TODAY, "done already"))
    finally:
        store.close()
    return path


@pytest.fixture
def svc(book):
    store = open_store(book)
    yield Services(store, clock=lambda: NOW)
    store.close()


def test_one_sql_text_gives_the_same_rows_on_both_paths(svc):
    due = FOLLOW_UPS_SQL.format(where=" AND f.due_on < :before")
    params = {"before": (TODAY + timedelta(days=30)).isoformat(), "limit": 100_000}
    light = svc.store.rows(due, params)
    assert light and light == svc.store._rows_through_sqlalchemy(due, params)
    # the Parties list with every kind of filter term: search, owner, ids, status, a seek
    where, params = svc.party_filter(search="a", owner="Maya", status="active",
                                     ids=range(1, 100), rung="customer")
    parties = PARTY_SQL.format(where=where + " AND (party.name, party.id) > (:after_name"
                               " COLLATE NOCASE, :after_id)",
                               order="party.name COLLATE NOCASE DESC, party.id DESC")
    params |= {"limit": 50, "offset": 0, "after_name": "B", "after_id": 0}
    light = svc.store.rows(parties, params)
    assert light and light == svc.store._rows_through_sqlalchemy(parties, params)


@pytest.mark.parametrize("days", [0, 1, 7, 365])
def test_due_agrees_with_the_agenda_query(svc, days):
    before = TODAY + timedelta(days=days + 1)
    rows = svc.due(days)
    assert rows == svc.follow_ups(due_before=before, limit=100_000)
    assert any(r.due_time for r in rows)
    for r in rows:
        assert type(r.due_on) is date and r.due_on < before and r.status == "open"
        assert r.due_time is None or type(r.due_time) is time


def test_reads_alone_serve_due_with_the_same_refusals(book):
    store = open_store(book)
    try:
        reads = Reads(store, clock=lambda: NOW)
        assert reads.due(7) == Services(store, clock=lambda: NOW).due(7)
        with pytest.raises(InvalidInput, match="Days"):
            reads.due(-1)
    finally:
        store.close()


@pytest.mark.sqlite_only  # SQLite's own errors (test_postgres has the server's)
def test_driver_errors_become_messages(svc):
    with pytest.raises(StoreUnavailable, match="busy"):
        with _translate_errors(svc.store):
            raise sqlite3.OperationalError("database is locked")
    with pytest.raises(StoreRefused, match="damaged"):
        with _translate_errors(svc.store):
            raise sqlite3.DatabaseError("database disk image is malformed")
    with pytest.raises(sqlite3.OperationalError):  # a bug, not the user's: left as it is
        svc.store.rows("SELECT nonsense FROM nowhere")


def test_the_light_connection_never_writes(svc):
    before = svc.due(3650)
    with pytest.raises(StoreUnavailable, match="read-only"):
        svc.store.rows("DELETE FROM follow_up")
    assert before and svc.due(3650) == before


def _imports(code: str) -> set[str]:
    """Top-level packages loaded by `code`, run in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                          "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.sqlite_only  # a server book is read through SQLAlchemy
def test_reltui_due_runs_without_sqlalchemy(book):
    loaded = _imports(f"from reltui.cli import main\nassert main(['--db', {str(book)!r}, 'due']) == 0")
    assert "reltui" in loaded and "sqlalchemy" not in loaded


@pytest.mark.sqlite_only  # a server book is read through SQLAlchemy
def test_reltui_list_runs_without_sqlalchemy(book):
    loaded = _imports(f"from reltui.cli import main\n"
                      f"assert main(['--db', {str(book)!r}, 'list', '--search', 'a']) == 0")
    assert "reltui" in loaded and "sqlalchemy" not in loaded


# In a fresh interpreter: the app on a LazyServices shows Today, then Parties with their rows,
# before SQLAlchemy is loaded; opening a party then loads it (in a worker) and shows the party.
FIRST_SCREENS = """
import asyncio, sys
from reltui.services.lazy import LazyServices
from reltui.store import open_store
from reltui.tui import app as tui

tui.LOAD_SERVICES_AFTER = 3600  # not in this test: the first use loads it

async def settle(app, pilot):
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()

def shown(app):
    return "\\n".join(strip.text for strip in app.screen._compositor.render_strips())

async def main():
    app = tui.ReltuiApp(LazyServices(open_store(BOOK)), poll_seconds=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        today = shown(app)
        await pilot.press("p")
        await settle(app, pilot)
        first = app.screen.query_one("VirtualTable").current
        light = "sqlalchemy" not in sys.modules
        await pilot.press("enter")
        await settle(app, pilot)
        print("overdue" in today, light, first.name in shown(app), type(app.screen).__name__,
              "sqlalchemy" in sys.modules)

asyncio.run(main())
"""


@pytest.mark.sqlite_only  # a server book is read through SQLAlchemy
def test_the_first_screens_paint_before_sqlalchemy_loads(book):
    out = subprocess.run([sys.executable, "-c", f"BOOK = {str(book)!r}\n" + FIRST_SCREENS],
                         capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["True", "True", "True", "PartyScreen", "True"], out.stdout


def test_the_tui_module_leaves_the_store_and_the_charts_for_later():
    # The store is opened by run(), and plotext only by the metrics screen when first shown.
    loaded = _imports("import reltui.tui.app")
    assert "textual" in loaded
    assert not loaded & {"sqlalchemy", "sqlmodel", "pydantic", "plotext", "textual_plotext"}
