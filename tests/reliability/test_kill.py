"""kill -9 in the middle of writes, 50 times: afterwards the file passes SQLite's integrity
check, every write that reported success is there, no half-done bulk write remains, and
the next start works."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rel_helpers import command, count, env_for, integrity, run

from reltui.store import migrations
from reltui.store.engine import APPLICATION_ID

KILLS = {"sample": 12, "log": 14, "import": 14, "upgrade": 10}  # 50 in all
SAMPLE_PARTIES = 1000
IMPORT_CARDS = 3000


def _kill_after(proc: subprocess.Popen, delay: float) -> None:
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _moments(argv_for, kills: int, env: dict) -> list[float]:
    """Kill moments spread evenly from early in the run to past its end, measured on this
    machine: one undisturbed run gives the duration, so the kills straddle the commit on a
    fast machine and a slow one alike."""
    argv = argv_for()
    start = time.monotonic()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, timeout=300)
    duration = time.monotonic() - start
    return [duration * (0.15 + 1.25 * k / (kills - 1)) for k in range(kills)]


def _kill_on_both_sides(moments: list[float], kill_one, before, after, *, tries: int = 8) -> set:  # noqa: ANN001
    """Kill at each moment (`kill_one(moment)` gives the outcome, None when the kill came before
    the book existed), then, while the outcomes lack `before` or `after`, once more halfway
    between the latest moment that did not reach the commit and the earliest that did (or
    later, if none did). A loaded machine can stretch a run past the planned moments or fit
    the whole write between two of them; the test must still see both sides."""
    seen = {moment: kill_one(moment) for moment in moments}
    for _ in range(tries):
        if {before, after} <= set(seen.values()):
            break
        lo = max((m for m, o in seen.items() if o != after), default=0.0)
        hi = min((m for m, o in seen.items() if o == after and m > lo), default=None)
        moment = lo * 1.5 + 0.5 if hi is None else (lo + hi) / 2
        seen[moment] = kill_one(moment)
    return set(seen.values()) - {None}


def _next_start_works(tmp_path: Path, book: Path) -> None:
    result = run(tmp_path, "--db", str(book), "list", "--json")
    assert result.returncode == 0, result.stderr
    assert integrity(book) == "ok"


def test_kill_during_the_sample_generator(tmp_path):
    runs = iter(range(10_000))

    def argv(book: Path | None = None) -> list[str]:
        book = book or tmp_path / f"sample-{next(runs)}.db"
        return command("sample", str(book), "--parties", str(SAMPLE_PARTIES), "--seed", "3")

    def kill_one(moment: float) -> int | None:
        book = tmp_path / f"sample-{next(runs)}.db"
        _kill_after(subprocess.Popen(argv(book), env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL), moment)
        if not book.exists():
            return None  # killed before it made the file
        assert integrity(book) == "ok"
        assert count(book, "party") in (0, SAMPLE_PARTIES)  # the book is whole or empty
        _next_start_works(tmp_path, book)
        return count(book, "party")

    outcomes = _kill_on_both_sides(_moments(argv, KILLS["sample"], env_for(tmp_path)), kill_one,
                                   0, SAMPLE_PARTIES)
    assert outcomes == {0, SAMPLE_PARTIES}  # the kills fell both before and after the commit


STREAM = """
import sys
from reltui.cli import main
book = sys.argv[1]
main(["--db", book, "add", "Ada Lovelace"])
n = 0
while True:
    n += 1
    main(["--db", book, "log", "Ada Lovelace", f"contact {n}"])
    sys.stdout.flush()
"""


def test_kill_during_a_stream_of_reltui_log(tmp_path):
    rng = random.Random(2)
    for k in range(KILLS["log"]):
        book = tmp_path / f"log-{k}.db"
        proc = subprocess.Popen([sys.executable, "-c", STREAM, str(book)], env=env_for(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        _kill_after(proc, rng.uniform(0.8, 2.0))
        reported = [line for line in proc.stdout.read().splitlines() if line.startswith("Logged")]
        proc.stdout.close()
        assert integrity(book) == "ok"
        subjects = set()
        if count(book, "interaction"):
            with sqlite3.connect(book) as db:
                subjects = {r[0] for r in db.execute("SELECT subject FROM interaction")}
        # every contact the command said it logged is there (one more may have landed unreported)
        assert {f"contact {n}" for n in range(1, len(reported) + 1)} <= subjects
        assert len(subjects) - len(reported) in (0, 1)
        _next_start_works(tmp_path, book)


def _cards(path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for n in range(IMPORT_CARDS):
            fh.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n:05d}\r\n"
                     f"EMAIL:person{n}@example.org\r\nTEL:+1 555 {n:07d}\r\nEND:VCARD\r\n")


def test_kill_during_an_import(tmp_path):
    cards = tmp_path / "cards.vcf"
    _cards(cards)
    runs = iter(range(10_000))

    def argv(book: Path | None = None) -> list[str]:
        book = book or tmp_path / f"import-{next(runs)}.db"
        assert run(tmp_path, "--db", str(book), "add", "Already Here").returncode == 0
        return command("--db", str(book), "import", str(cards))

    def kill_one(moment: float) -> int:
        book = tmp_path / f"import-{next(runs)}.db"
        _kill_after(subprocess.Popen(argv(book), env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL), moment)
        assert integrity(book) == "ok"
        assert count(book, "party") in (1, 1 + IMPORT_CARDS)  # all of the file or none of it
        _next_start_works(tmp_path, book)
        return count(book, "party")

    outcomes = _kill_on_both_sides(_moments(argv, KILLS["import"], env_for(tmp_path)), kill_one,
                                   1, 1 + IMPORT_CARDS)
    assert outcomes == {1, 1 + IMPORT_CARDS}  # the kills fell both before and after the commit


def _version_1_book(path: Path, parties: int) -> None:
    db = sqlite3.connect(path)
    db.isolation_level = None
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for statement in migrations.STEPS[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.executemany(
        "INSERT INTO party (id, name, rung_since, created_on, updated_at) "
        "VALUES (?, ?, '2025-01-01', '2025-01-01', '2025-01-01 00:00:00')",
        [(n, f"Party {n}") for n in range(1, parties + 1)])
    db.executemany("INSERT INTO purchase (party_id, on_date, revenue_cents) VALUES (?, '2025-02-01', 100)",
                   [(n,) for n in range(1, parties + 1)])
    db.execute("COMMIT")
    db.close()
    path.chmod(0o600)


def test_kill_during_a_schema_upgrade(tmp_path):
    template = tmp_path / "v1.db"
    _version_1_book(template, 30_000)
    runs = iter(range(10_000))

    def argv(book: Path | None = None) -> list[str]:
        book = book or tmp_path / f"upgrade-{next(runs)}.db"
        book.write_bytes(template.read_bytes())
        return command("--db", str(book), "list")

    def kill_one(moment: float) -> str:
        book = tmp_path / f"upgrade-{next(runs)}.db"
        _kill_after(subprocess.Popen(argv(book), env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL), moment)
        assert integrity(book) == "ok"
        with sqlite3.connect(book) as db:
            version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        assert version in ("1", str(migrations.LATEST))  # never a step half done
        _next_start_works(tmp_path, book)
        with sqlite3.connect(book) as db:
            assert db.execute("SELECT sum(purchase_count) FROM party").fetchone()[0] == 30_000
        return version

    versions = _kill_on_both_sides(_moments(argv, KILLS["upgrade"], env_for(tmp_path)), kill_one,
                                   "1", str(migrations.LATEST))
    assert versions == {"1", str(migrations.LATEST)}  # kills fell before and after the upgrade


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_polite_signals_stop_a_write_cleanly(tmp_path, signal_name):
    book = tmp_path / "book.db"
    proc = subprocess.Popen(command("sample", str(book), "--parties", str(SAMPLE_PARTIES)),
                            env=env_for(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1.2)
    proc.send_signal(getattr(signal, signal_name))
    _out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if book.exists():
        assert integrity(book) == "ok" and count(book, "party") in (0, SAMPLE_PARTIES)
