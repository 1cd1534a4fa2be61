"""Where the book lives: $RELTUI_DB, else reltui.db in the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "reltui"


def data_dir(*, create: bool = False) -> Path:
    """The platform's user data directory for reltui (made 0700 when created)."""
    path = user_data_path(APP_NAME, appauthor=False)
    if create and not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
    return path


def default_db() -> str:
    """The database to open when --db is not given."""
    env = os.environ.get("RELTUI_DB", "").strip()
    if env:
        return env
    return str(data_dir(create=True) / "reltui.db")
