"""A real terminal to measure the TUI from outside: one private tmux server, one pane.

The clock starts just before the key is handed to tmux (`send-keys`), and stops at the
first `capture-pane` that shows the expected text. Each capture is a short subprocess
(about 2 ms on 2 cores), polled every POLL seconds, so a figure carries up to
POLL + one capture of measuring overhead; `overhead()` reports that floor.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

SOCKET = "reltui-bench"
SESSION = "bench"
WIDTH, HEIGHT = 120, 40
POLL = 0.005


class Timeout(RuntimeError):
    """The expected text did not appear in time; carries the last screen."""

    def __init__(self, what: str, screen: str) -> None:
        super().__init__(f"timed out waiting for {what}; last screen:\n{screen}")
        self.screen = screen


class Terminal:
    """A tmux server on a private socket with one 120x40 pane for the app under test."""

    def __init__(self, socket: str = SOCKET) -> None:
        self.base = ["tmux", "-L", socket]
        self._run("kill-server", check=False)
        # -f /dev/null: no user config; a pane that stays when the app exits, so its pid and
        # status can be read; a plain sh runs the command (exec replaces it with the app).
        self._run("-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y",
                  str(HEIGHT), "sleep 100000")
        for option in (("remain-on-exit", "on"), ("default-shell", "/bin/sh"),
                       ("history-limit", "0"), ("default-terminal", "tmux-256color")):
            self._run("set-option", "-g", *option)
        self._run("set-option", "-g", "window-size", "manual")
        self._run("resize-window", "-t", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT))

    def _run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def close(self) -> None:
        self._run("kill-server", check=False)

    # -- the app ---------------------------------------------------------------------------

    def spawn(self, argv: list[str]) -> float:
        """Replace whatever runs in the pane with argv; returns the clock at the start.

        The app gets the environment the tmux server started with (this process's), and
        the TERM tmux gives its panes (tmux-256color), as in a user's tmux."""
        command = "exec " + " ".join(shlex.quote(w) for w in argv)
        self._run("clear-history", "-t", SESSION, check=False)
        start = time.perf_counter()
        self._run("respawn-pane", "-k", "-t", SESSION, command)
        return start

    def pid(self) -> int:
        """The app's pid: the pane's process (sh exec'd into the app), else its child."""
        pane = int(self._run("list-panes", "-t", SESSION, "-F", "#{pane_pid}").split()[0])
        if _is_reltui(pane):
            return pane
        for child in _children(pane):
            if _is_reltui(child):
                return child
        return pane

    def dead(self) -> bool:
        return self._run("list-panes", "-t", SESSION, "-F", "#{pane_dead}").strip() == "1"

    # -- keys and screen --------------------------------------------------------------------

    def keys(self, *keys: str) -> float:
        """Send tmux key names (Enter, End, C-p...); returns the clock just before."""
        start = time.perf_counter()
        self._run("send-keys", "-t", SESSION, *keys)
        return start

    def type(self, text: str) -> float:
        start = time.perf_counter()
        self._run("send-keys", "-t", SESSION, "-l", text)
        return start

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", SESSION)

    def wait(self, predicate: Callable[[str], bool], what: str, *, start: float | None = None,
             timeout: float = 90.0) -> float:
        """Poll until predicate(screen) holds; returns seconds since `start` (or since now)."""
        begin = time.perf_counter() if start is None else start
        deadline = time.perf_counter() + timeout
        screen = ""
        while True:
            screen = self.screen()
            if predicate(screen):
                return time.perf_counter() - begin
            if time.perf_counter() > deadline:
                raise Timeout(what, screen)
            time.sleep(POLL)

    def overhead(self, samples: int = 40) -> float:
        """The floor of every UI figure: one send-keys plus one capture-pane, median seconds."""
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            self._run("display-message", "-t", SESSION, "-p", "x")
            self.screen()
            times.append(time.perf_counter() - start)
        times.sort()
        return times[len(times) // 2]


def _is_reltui(pid: int) -> bool:
    try:
        return b"reltui" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    found = [int(p) for p in text.split()]
    return found + [g for c in found for g in _children(c)]


def peak_rss_mib(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmHWM", 0.0), fields.get("VmRSS", 0.0)
