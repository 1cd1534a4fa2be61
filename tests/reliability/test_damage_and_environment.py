"""Damaged files, hostile environments: refused with a clear message and exit 2, nothing
overwritten, nothing half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from rel_helpers import count, integrity, run

from reltui.domain.errors import StoreUnavailable
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.store import open_store


def _book(path: Path, parties: int = 3) -> Path:
    store = open_store(path)
    svc = Services(store)
    for k in range(parties):
        svc.add_party(PartyIn(name=f"Party {k}"))
    store.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage(kind: str, path: Path) -> None:
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "random bytes":
        path.write_bytes(os.urandom(len(data)))
    elif kind == "zeroed header":
        path.write_bytes(bytes(100) + data[100:])
    elif kind == "another program":
        path.unlink()
        import sqlite3

        db = sqlite3.connect(path)
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, blob BLOB)")
        db.execute("INSERT INTO photos (blob) VALUES (x'00ff')")
        db.commit()
        db.close()
    elif kind == "newer schema":
        import sqlite3

        db = sqlite3.connect(path)  # closed, so its log is folded into the file before the digest
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        db.commit()
        db.close()
    elif kind == "shm without wal":
        path.with_name(path.name + "-shm").write_bytes(bytes(32768))


@pytest.mark.parametrize("kind", ["truncated", "random bytes", "zeroed header", "another program",
                                  "newer schema", "shm without wal"])
def test_damaged_books_are_refused_untouched(tmp_path, kind):
    book = _book(tmp_path / "book.db")
    _damage(kind, book)
    before = _digest(book)
    for args in (("list",), ("add", "Someone"), ("due",)):
        result = run(tmp_path, "--db", str(book), *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("reltui: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
        if kind != "another program":
            assert "backup" in result.stderr  # the way out is named
    assert _digest(book) == before  # nothing overwritten


def test_an_index_left_for_an_instant_by_another_process_is_not_refused(tmp_path):
    # Another reltui closing the book deletes its -wal, then its -shm: a start that looks in
    # between must wait for the index to go, not call the book damaged (seen with two shells
    # logging contacts at once).
    book = _book(tmp_path / "book.db")
    shm = book.with_name(book.name + "-shm")
    shm.write_bytes(bytes(32768))
    closing = threading.Timer(0.15, shm.unlink)
    closing.start()
    try:
        store = open_store(book)
    finally:
        closing.join()
    try:
        assert Services(store).count_parties() == 3
    finally:
        store.close()


def test_read_only_file_reads_but_refuses_writes(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    book = _book(tmp_path / "book.db")
    book.chmod(0o400)
    listed = run(tmp_path, "--db", str(book), "list")
    added = run(tmp_path, "--db", str(book), "add", "Newcomer")
    assert listed.returncode in (0, 2) and "Traceback" not in listed.stderr
    assert added.returncode == 2 and "read-only" in added.stderr


def test_read_only_folder_gives_a_clear_message(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    folder = tmp_path / "locked"
    folder.mkdir()
    _book(folder / "book.db")
    folder.chmod(0o500)
    try:
        result = run(tmp_path, "--db", str(folder / "book.db"), "add", "Newcomer")
    finally:
        folder.chmod(0o700)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert count(folder / "book.db", "party") == 3


def test_a_full_disk_refuses_the_write_and_keeps_the_book(tmp_path):
    """SQLite's max_page_count makes the file unable to grow: the same error as a full disk."""
    book = _book(tmp_path / "book.db")
    store = open_store(book)
    svc = Services(store)
    with store.write() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    engine = store.engine

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def cap(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")

    engine.dispose()  # every new connection gets the cap
    with pytest.raises(StoreUnavailable, match="full"):
        svc.add_party(PartyIn(name="Big", notes="x" * 200_000))
    store.close()
    assert integrity(book) == "ok" and count(book, "party") == 3


def test_a_missing_folder_is_created_privately_for_the_default_book(tmp_path):
    result = run(tmp_path, "add", "First")
    data = tmp_path / "data" / "reltui"
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "reltui.db").stat().st_mode) == 0o600


def test_nothing_is_written_outside_the_books_folder_and_the_data_dir(tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    books = tmp_path / "books"
    books.mkdir()
    book = books / "book.db"
    for args in (("add", "Ada", "--email", "ada@example.org"), ("log", "Ada", "Called"),
                 ("follow-up", "Ada", "tomorrow", "Call back"), ("list", "--json"),
                 ("backup", str(books / "copy.db")), ("export", str(books / "out.vcf")),
                 ("metrics", "--json")):
        result = run(tmp_path, "--db", str(book), *args, cwd=work)
        assert result.returncode == 0, (args, result.stderr)
    assert list(work.iterdir()) == []  # the working folder stays as it was
    outside = [p for p in tmp_path.rglob("*")
               if p.is_file() and not (p.is_relative_to(books) or p.is_relative_to(tmp_path / "data"))]
    assert outside == []
    for path in books.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_sample_book_in_the_repository_is_sound(tmp_path):
    sample = Path(__file__).resolve().parents[2] / "sample.db"
    copy = tmp_path / "sample.db"
    shutil.copy(sample, copy)
    assert integrity(copy) == "ok"
    result = run(tmp_path, "--db", str(copy), "list", "--json")
    assert result.returncode == 0 and len(result.stdout) > 1000
    assert not list(tmp_path.glob("*.backup.db"))  # already at the latest schema: no upgrade


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs of our own, where the machine lets us mount one (root, or skipped)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("can't mount a small disk here (needs root)")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_really_full_disk_refuses_and_keeps_the_book(tmp_path, small_disk):
    book = small_disk / "book.db"
    assert run(tmp_path, "--db", str(book), "add", "Ann").returncode == 0
    store = open_store(book)
    svc = Services(store)
    added = 0
    with pytest.raises(StoreUnavailable, match="full"):
        for k in range(100):
            svc.add_party(PartyIn(name=f"P{k}", notes="x" * 200_000))
            added += 1
    store.close()
    assert integrity(book) == "ok" and count(book, "party") == 1 + added
    result = run(tmp_path, "--db", str(book), "list")
    assert result.returncode == 0 and "Ann" in result.stdout  # the app goes on where it can


def test_a_read_only_folder_is_explained(tmp_path, small_disk):
    book = small_disk / "book.db"
    assert run(tmp_path, "--db", str(book), "add", "Ann").returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    before = _digest(book)
    for args in (("list",), ("add", "Bob")):
        result = run(tmp_path, "--db", str(book), *args)
        assert result.returncode == 2 and "read-only" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert _digest(book) == before
