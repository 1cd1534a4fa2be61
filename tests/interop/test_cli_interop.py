"""The commands as a user runs them: import, export, backup, restore (real subprocesses)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from interop_helpers import DATA

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def reltui(tmp_path, book_target):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELTUI_")}
    env.update(PYTHONPATH=str(SRC), HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))

    def run(*args: str, db: Path | str = book_target):
        return subprocess.run([sys.executable, "-m", "reltui", *args, "--db", str(db)],
                              capture_output=True, text=True, env=env, timeout=120)

    run.book = book_target
    return run


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_import_dry_run_then_for_real(reltui):
    dry = reltui("import", str(DATA / "apple_v3.vcf"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would be added 3" in dry.stdout and "Dry run: nothing was changed" in dry.stdout
    assert "No parties" in reltui("list").stdout
    done = reltui("import", str(DATA / "apple_v3.vcf"))
    assert done.returncode == 0 and "added 3" in done.stdout and "URL (1)" in done.stdout
    again = reltui("import", str(DATA / "apple_v3.vcf"), "--on-duplicate", "merge")
    assert "merged 3" in again.stdout and "same email chidi@northwind.example" in again.stdout


def test_bad_records_exit_2_with_the_list(reltui, tmp_path):
    path = tmp_path / "bad.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\x1b[31mRed\r\nEMAIL:nope\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fine\r\nEND:VCARD\r\n", newline="")
    result = reltui("import", str(path))
    assert result.returncode == 2
    assert "card 1 (line 1)" in result.stdout and "\x1b" not in result.stdout
    assert "nothing was" in result.stderr and "Traceback" not in result.stderr
    assert "No parties" in reltui("list").stdout
    skipped = reltui("import", str(path), "--skip-bad")
    assert skipped.returncode == 0 and "1 bad (skipped)" in skipped.stdout


def test_export_every_format_private(reltui, tmp_path):
    assert reltui("import", str(DATA / "google.csv")).returncode == 0
    for name in ("p.vcf", "p.csv", "p.ics", "p.json"):
        result = reltui("export", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        assert mode(tmp_path / name) == 0o600
    assert reltui("export", str(tmp_path / "p.vcf")).returncode == 2  # exists: needs --force
    assert reltui("export", str(tmp_path / "p.vcf"), "--force").returncode == 0
    assert reltui("export", str(tmp_path / "p.txt")).returncode == 2
    sel = reltui("export", str(tmp_path / "vip.vcf"), "--tag", "vip")
    assert "1 parties" in sel.stdout
    assert not list(tmp_path.glob(".*.part"))


def test_backup_and_restore(reltui, tmp_path):
    reltui("import", str(DATA / "modern_v4.vcf"))
    backup = tmp_path / "b.db"
    result = reltui("backup", str(backup))
    assert result.returncode == 0 and mode(backup) == 0o600
    assert reltui("backup", str(backup)).returncode == 2
    reltui("add", "Extra Person")
    refused = reltui("restore", str(backup))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert "Extra Person" in reltui("list").stdout
    restored = reltui("restore", str(backup), "--force")
    assert restored.returncode == 0, restored.stderr
    assert "Extra Person" not in reltui("list").stdout and "Mateo Silva" in reltui("list").stdout
    # the book as it was: beside a book file; for a book on a server, in the data directory
    folder = tmp_path if isinstance(reltui.book, Path) else tmp_path / "data" / "reltui"
    kept = list(folder.glob("*before-restore-*.db"))
    assert len(kept) == 1 and mode(kept[0]) == 0o600
    fresh = reltui("restore", str(backup), db=tmp_path / "new.db")  # an empty book needs no --force
    assert fresh.returncode == 0 and "Mateo" in reltui("list", db=tmp_path / "new.db").stdout


def test_restore_checks_the_file_first(reltui, tmp_path):
    reltui("add", "Keep Me")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    other = tmp_path / "other.db"
    import sqlite3
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    for src in (junk, other, tmp_path / "missing.db", DATA / "google.csv"):
        result = reltui("restore", str(src), "--force")
        assert result.returncode == 2, (src, result.stderr)
    assert "Keep Me" in reltui("list").stdout
    reltui("export", str(tmp_path / "all.json"))
    reltui("add", "Later")
    result = reltui("restore", str(tmp_path / "all.json"), "--force")
    assert result.returncode == 0 and "JSON backup" in result.stdout
    listing = reltui("list").stdout
    assert "Keep Me" in listing and "Later" not in listing
