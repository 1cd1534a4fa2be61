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


def _next_start_works(tmp_path: Path, book: Path) -> None:
    result = run(tmp_path, "--db", str(book), "list", "--json")
    assert result.returncode == 0, result.stderr
    assert integrity(book) == "ok"


def test_kill_during_the_sample_generator(tmp_path):
    books = (tmp_path / f"sample-{k}.db" for k in range(KILLS["sample"] + 1))

    def argv() -> list[str]:
        return command("sample", str(next(books)), "--parties", str(SAMPLE_PARTIES), "--seed", "3")

    outcomes = set()
    for k, moment in enumerate(_moments(argv, KILLS["sample"], env_for(tmp_path)), start=1):
        book = tmp_path / f"sample-{k}.db"
        proc = subprocess.Popen(argv(), env=env_for(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _kill_after(proc, moment)
        if not book.exists():
            continue  # killed before it made the file
        assert integrity(book) == "ok"
        outcomes.add(count(book, "party"))
        assert count(book, "party") in (0, SAMPLE_PARTIES)  # the book is whole or empty
        _next_start_works(tmp_path, book)
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
    books = iter(range(KILLS["import"] + 1))

    def argv() -> list[str]:
        book = tmp_path / f"import-{next(books)}.db"
        assert run(tmp_path, "--db", str(book), "add", "Already Here").returncode == 0
        return command("--db", str(book), "import", str(cards))

    outcomes = set()
    for k, moment in enumerate(_moments(argv, KILLS["import"], env_for(tmp_path)), start=1):
        book = tmp_path / f"import-{k}.db"
        proc = subprocess.Popen(argv(), env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _kill_after(proc, moment)
        assert integrity(book) == "ok"
        outcomes.add(count(book, "party"))
        assert count(book, "party") in (1, 1 + IMPORT_CARDS)  # all of the file or none of it
        _next_start_works(tmp_path, book)
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
    versions = set()
    template = tmp_path / "v1.db"
    _version_1_book(template, 30_000)
    books = iter(range(KILLS["upgrade"] + 1))

    def argv() -> list[str]:
        book = tmp_path / f"upgrade-{next(books)}.db"
        book.write_bytes(template.read_bytes())
        return command("--db", str(book), "list")

    for k, moment in enumerate(_moments(argv, KILLS["upgrade"], env_for(tmp_path)), start=1):
        book = tmp_path / f"upgrade-{k}.db"
        proc = subprocess.Popen(argv(), env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _kill_after(proc, moment)
        assert integrity(book) == "ok"
        with sqlite3.connect(book) as db:
            version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        versions.add(version)
        assert version in ("1", str(migrations.LATEST))  # never a step half done
        _next_start_works(tmp_path, book)
        with sqlite3.connect(book) as db:
            assert db.execute("SELECT sum(purchase_count) FROM party").fetchone()[0] == 30_000
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
