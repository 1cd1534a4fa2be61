"""Snapshots of every main screen at 80x24 and 120x40, on a seed-7 sample book with
today frozen at Sunday 22 Nov 2026. Review every changed snapshot before accepting it."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from reltui.sample import generate
from reltui.services import Services
from reltui.store import open_store
from reltui.tui.app import ReltuiApp

NOW = datetime(2026, 11, 22, 10, 0)
SIZES = [(80, 24), (120, 40)]


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    store = open_store(path)
    generate(store, parties=120, seed=7, today=NOW.date())
    store.close()
    return path


@pytest.fixture
def app(tmp_path, sample_file):
    path = tmp_path / "book.db"
    shutil.copy(sample_file, path)
    store = open_store(path)
    yield ReltuiApp(Services(store, clock=lambda: NOW), poll_seconds=None, db_label="sample.db")
    store.close()


@pytest.fixture
def empty_app(tmp_path):
    store = open_store(tmp_path / "empty.db")
    yield ReltuiApp(Services(store, clock=lambda: NOW), poll_seconds=None, db_label="empty.db")
    store.close()


def keys(*pressed: str):
    async def run_before(pilot) -> None:
        for _ in range(2):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        for key in pressed:
            await pilot.press(key)
            for _ in range(3):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_today(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES)
def test_first_run(snap_compare, empty_app, size):
    assert snap_compare(empty_app, terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES)
def test_parties(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys("p"))


@pytest.mark.parametrize("size", SIZES)
def test_party(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys("p", "down", "down", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_agenda(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys("a"))


@pytest.mark.parametrize("size", SIZES)
def test_ladder(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys("b", "right", "down"))


@pytest.mark.parametrize("size", SIZES)
def test_log_contact_form(snap_compare, app, size):
    # from Today's first line, a heading: no party in focus, so the form asks for one
    assert snap_compare(app, terminal_size=size, run_before=keys("l", "a", "n", "n"))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys("p", "question_mark"))
