"""A large vCard file is read in pieces by worker processes and written piece by piece:
the book and the summary must come out exactly as the one-piece reading makes them, for
every duplicate choice, with bad cards, referrals and every quirk the readers know, and
with or without worker processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from interop_helpers import DATA, NOW

from reltui.interop import vcard
from reltui.services import Services, interop
from reltui.services.interop import ImportRefused, import_file
from reltui.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from rel_helpers import command, count, env_for, integrity, run

TABLES = {
    "party": "SELECT * FROM party ORDER BY id",
    "contact_point": "SELECT * FROM contact_point ORDER BY id",
    "party_tag": "SELECT * FROM party_tag ORDER BY party_id, tag",
    "rung_step": "SELECT * FROM rung_step ORDER BY id",
    "party_search": "SELECT rowid, * FROM party_search ORDER BY rowid",
}


def _card(i: int) -> str:
    """A made-up card; every few cards shares an email, a phone or a name with an earlier one,
    and some carry referrals, folds, bad fields or reltui's own properties."""
    name = f"Person {i % 900:04d}" if i % 7 else f"Same Name {i % 5}"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}", f"UID:urn:test:{i}"]
    lines.append(f"EMAIL;TYPE=INTERNET:p{i % 1300}@example.org")
    if i % 3 == 0:
        lines.append(f"TEL;TYPE=CELL:+1 555 {i % 1100:07d}")
    if i % 11 == 0:
        lines.append(f"ORG:Company {i % 13}")
    if i % 5 == 0:
        lines.append(f"CATEGORIES:tag{i % 4},Other Tag")
    if i % 13 == 0:
        lines.append(f"NOTE:note {i} that is long enough to be folded across two lines, with "
                     "an escaped\\, comma and a\\nnew line")
    if i % 17 == 0:
        lines.append(f"X-RELTUI-REFERRED-BY:urn:test:{i - 9}")
    if i % 19 == 0:
        lines.append(f"X-RELTUI-REFERRED-BY-NAME:Person {i % 50:04d}")
    if i % 101 == 0:
        lines.append("BDAY:not a date")  # a bad card
    if i % 97 == 0:
        lines.append("BDAY:--0307")
    if i % 89 == 0:
        lines[2] = "FN:"  # no name: bad
    lines.append("X-SOCIALPROFILE:ignored")
    lines.append("END:VCARD")
    return "".join(vcard.fold(line) for line in lines)


def _file(tmp_path, cards: int = 2400):
    """Made-up cards with the sample files' quirks mixed in: quoted-printable and 8-bit
    vCard 2.1, Apple groups, vCard 4.0, blank lines between cards, and a card without its
    END:VCARD."""
    quirks = [(DATA / name).read_bytes() for name in ("phone_v21.vcf", "apple_v3.vcf", "modern_v4.vcf")]
    parts: list[bytes] = []
    for i in range(cards):
        parts.append(_card(i).encode())
        if i % 150 == 0:
            parts.append(quirks[(i // 150) % 3])
        if i % 230 == 0:
            parts.append(b"\r\n\r\n")
        if i == 1234:
            parts.append(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Short\r\n")  # no END:VCARD
    path = tmp_path / "many.vcf"
    path.write_bytes(b"".join(parts))
    return path


def _book(tmp_path, name: str) -> Services:
    store = open_store(tmp_path / f"{name}.db")
    svc = Services(store, clock=lambda: NOW)
    with store.write() as conn:  # one party already in the book, for duplicates and referrals
        conn.exec_driver_sql(
            "INSERT INTO party (name, rung_since, created_on, updated_at) "
            "VALUES ('Person 0007', '2026-01-01', '2026-01-01', '2026-01-01 00:00:00')")
        conn.exec_driver_sql("INSERT INTO contact_point (party_id, kind, value, norm) "
                             "VALUES (1, 'email', 'p8@example.org', 'p8@example.org')")
    return svc


def _rows(svc: Services) -> dict[str, list[tuple]]:
    svc.store.close()
    db = sqlite3.connect(svc.store.path)
    try:
        return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        db.close()


def _outcome(svc: Services, path, **options):
    try:
        summary = import_file(svc, path, **options)
    except ImportRefused as exc:
        summary = exc.summary
    return summary.__dict__ | {"seconds": None, "path": None}, _rows(svc)


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(interop, "PIECE_CARDS", 150)


@pytest.mark.parametrize("options", [
    {"skip_bad": True},
    {"skip_bad": True, "on_duplicate": "add"},
    {"skip_bad": True, "on_duplicate": "merge"},
    {},  # bad cards refuse the import
    {"skip_bad": True, "dry_run": True},
])
def test_pieces_import_exactly_what_one_piece_imports(tmp_path, monkeypatch, small_pieces, options):
    path = _file(tmp_path)
    assert vcard.count_cards(path.read_bytes()) >= interop.PARALLEL_CARDS
    assert len(vcard.split_cards(path.read_bytes(), 16)) > 10
    pieces = _outcome(_book(tmp_path, "pieces"), path, **options)
    monkeypatch.setattr(interop, "PARALLEL_CARDS", 10**9)
    whole = _outcome(_book(tmp_path, "whole"), path, **options)
    assert pieces[0] == whole[0]
    assert pieces[1] == whole[1]
    summary, rows = pieces
    assert summary["bad_total"] > 10 and summary["duplicates_total"] > 100
    if options.get("dry_run") or not options.get("skip_bad"):
        assert len(rows["party"]) == 1  # nothing written
    else:
        assert len(rows["party"]) == 1 + summary["added"]
    assert multiprocessing.active_children() == []  # no worker left behind


def test_without_worker_processes_the_pieces_are_read_here(tmp_path, monkeypatch, small_pieces):
    path = _file(tmp_path, cards=2100)
    with_pool = _outcome(_book(tmp_path, "pool"), path, skip_bad=True)
    monkeypatch.setattr(interop, "_start_pool", lambda: None)
    without = _outcome(_book(tmp_path, "nopool"), path, skip_bad=True)
    assert with_pool == without


def test_a_pool_that_breaks_leaves_the_rest_to_this_process(tmp_path, monkeypatch, small_pieces):
    from concurrent.futures.process import BrokenProcessPool

    path = _file(tmp_path, cards=2100)
    expected = _outcome(_book(tmp_path, "pool"), path, skip_bad=True)

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a worker died")

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(interop, "_start_pool", lambda: Broken())
    assert _outcome(_book(tmp_path, "broken"), path, skip_bad=True) == expected


def test_an_error_while_writing_rolls_everything_back_and_stops_the_workers(tmp_path, monkeypatch,
                                                                             small_pieces):
    path = _file(tmp_path, cards=2100)
    svc = _book(tmp_path, "failing")
    calls = []
    real = interop._Plan.write_new

    def fail_on_third(self, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        real(self, **kwargs)

    monkeypatch.setattr(interop._Plan, "write_new", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        import_file(svc, path, skip_bad=True)
    assert multiprocessing.active_children() == []
    assert len(_rows(svc)["party"]) == 1  # the pieces written before the error are gone too


def test_a_file_refused_in_a_worker_says_why_like_the_whole_file(tmp_path, small_pieces):
    stray = b"".join(b"NOTE:not a card %d\r\n" % i for i in range(1100))
    path = tmp_path / "stray.vcf"
    path.write_bytes(stray + _file(tmp_path, cards=2100).read_bytes())
    with pytest.raises(Exception) as pieces:
        import_file(_book(tmp_path, "pieces"), path)
    assert "No vCard found" in str(pieces.value)
    assert not isinstance(pieces.value, ImportRefused)


# -- the importing process killed or interrupted: no worker left, the book as it was ----------


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start_import(tmp_path) -> tuple[subprocess.Popen, Path, set[int]]:
    cards = tmp_path / "big.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n}\r\n"
                             f"EMAIL:p{n}@example.org\r\nEND:VCARD\r\n" for n in range(60_000)))
    book = tmp_path / "book.db"
    assert run(tmp_path, "--db", str(book), "add", "Already Here").returncode == 0
    proc = subprocess.Popen(command("--db", str(book), "import", str(cards)), env=env_for(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < interop.WORKERS and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) == interop.WORKERS, "the import never started its workers"
    return proc, book, workers


def _gone(pids: set[int]) -> bool:
    deadline = time.monotonic() + 10
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pids)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_the_import_ends_its_workers_and_keeps_the_book(tmp_path):
    proc, book, workers = _start_import(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _gone(workers)
    assert count(book, "party") == 1 and integrity(book) == "ok"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_ends_the_workers_without_a_traceback_and_keeps_the_book(tmp_path):
    proc, book, workers = _start_import(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode() and "interrupted" in err.decode()
    assert _gone(workers)
    assert count(book, "party") == 1 and integrity(book) == "ok"


# -- through the TUI: the import screen runs the import in a thread (worker processes from a
#    fork server there) -----------------------------------------------------------------------


async def _until_done(app, pilot) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 120
    await pilot.pause()
    while app.screen.running and time.monotonic() < deadline:
        await pilot.pause(0.1)
    assert not app.screen.running


async def test_the_import_screen_imports_a_large_file_in_pieces(tmp_path, small_pieces):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
    from tui_helpers import make_app, open_import, press, screen_text


    path = _file(tmp_path, cards=2100)
    expected = _outcome(_book(tmp_path, "cli"), path, skip_bad=True)[1]
    svc = _book(tmp_path, "tui")
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_import(app, pilot, path)
        app.screen.query_one("#bad").value = "yes"  # skip bad records
        await press(app, pilot, "enter")
        await _until_done(app, pilot)
        assert "would be" in screen_text(app)
        assert svc.count_parties(status="all") == 1  # the dry run wrote nothing
        await press(app, pilot, "enter")
        await _until_done(app, pilot)
        assert "Imported:" in screen_text(app)
    assert _rows(svc) == expected
    assert multiprocessing.active_children() == []
