from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def reltui(tmp_path, book_target):
    """Run `python -m reltui ARGS` in a subprocess against a book in tmp_path (or on the
    test server: see tests/conftest.py)."""
    book = book_target
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELTUI_")}
    env["PYTHONPATH"] = str(SRC)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")

    def run(*args: str, db: Path | None = book, stdin: str | None = None, extra_env=None) -> Result:
        argv = [sys.executable, "-m", "reltui", *args]
        if db is not None:
            argv += ["--db", str(db)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env | (extra_env or {}),
                              input=stdin, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    run.book = book
    run.env = env
    return run
