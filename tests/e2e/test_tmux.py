"""End to end: the installed `reltui` in a real terminal (tmux), driven by keys, read
from the screen, checked in the database."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.store import open_store

TMUX = shutil.which("tmux")
RELTUI = Path(sys.executable).with_name("reltui")

pytestmark = pytest.mark.skipif(TMUX is None or not RELTUI.exists(),
                                reason="needs tmux and the installed reltui command")


def _tmux(*args: str) -> str:
    return subprocess.run([TMUX, "-L", "reltui-test", *args], capture_output=True, text=True,
                          check=False).stdout


def _wait_for(text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", "e2e")
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@pytest.fixture
def terminal(tmp_path):
    db = tmp_path / "book.db"
    store = open_store(db)
    Services(store).add_party(PartyIn(name="Ada Lovelace"))
    store.close()
    _tmux("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24",
          f"HOME={tmp_path} XDG_DATA_HOME={tmp_path}/data {RELTUI} --db {db}")
    yield db
    _tmux("kill-server")


def test_log_a_contact_in_a_real_terminal(terminal):
    _wait_for("All clear")
    _tmux("send-keys", "-t", "e2e", "l")
    _wait_for("Log a contact")
    _tmux("send-keys", "-t", "e2e", "-l", "lovel")
    _wait_for("Ada Lovelace")
    _tmux("send-keys", "-t", "e2e", "Enter")
    time.sleep(0.3)
    _tmux("send-keys", "-t", "e2e", "-l", "Phoned about the engine")
    time.sleep(0.3)
    _tmux("send-keys", "-t", "e2e", "Enter")
    _wait_for("Contact logged with Ada Lovelace")
    store = open_store(terminal)
    try:
        entries = Services(store).timeline(1)
    finally:
        store.close()
    assert [e.title for e in entries if e.kind == "interaction"] == ["Phoned about the engine"]
    screen = _tmux("capture-pane", "-p", "-t", "e2e")
    assert "Traceback" not in screen


def test_the_real_terminal_resizes_and_redraws(terminal):
    _wait_for("All clear")
    for key in ("p", "a", "b", "m", "t"):
        _tmux("send-keys", "-t", "e2e", key)
        for width, height in ((20, 5), (300, 100), (80, 24)):
            _tmux("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))
            time.sleep(0.3)
    _tmux("send-keys", "-t", "e2e", "p")
    screen = _wait_for("Ada Lovelace")
    assert "Traceback" not in screen and "1 party" in screen
