"""Crash reports: where a crash happened, never what data it held."""

from __future__ import annotations

import os
import traceback
from datetime import datetime

from reltui import __version__


def write_crash_report(exc: BaseException) -> str | None:
    """Record where a crash happened, never what data it held: frames and types only."""
    try:
        from reltui.paths import data_dir

        path = data_dir(create=True) / "crash.log"
        frames = traceback.extract_tb(exc.__traceback__)
        lines = [f"{datetime.now():%Y-%m-%d %H:%M:%S} reltui {__version__}: {type(exc).__name__}"]
        lines += [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        return str(path)
    except OSError:
        return None

