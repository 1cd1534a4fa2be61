"""Helpers for the reliability suite: run the real command in a subprocess, check a book."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELTUI_")}
    env["PYTHONPATH"] = str(SRC)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reltui", *args]


def run(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, env=env_for(tmp_path),
                          timeout=180, cwd=cwd)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def count(path: Path, table: str) -> int:
    """Rows in a table; 0 when the book was killed before its tables were made."""
    db = sqlite3.connect(path)
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - test tables
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return 0
    finally:
        db.close()
