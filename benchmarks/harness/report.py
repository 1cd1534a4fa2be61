"""Medians, 95th percentiles, the machine, the table and results.json."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
import sys
import timeit
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

# (key, label, unit, target text, target check on the 100k median or None)
FIGURES = (
    ("sample", "`reltui sample --parties N`", "s", "< 60 s", lambda m, p: m < 60),
    ("start_parties", "start → Parties painted with rows", "ms", "< 0.8 s", lambda m, p: m < 0.8),
    ("start_today", "start → Today painted", "ms", "—", None),
    ("search_key", "search keystroke → filtered list", "ms", "< 50 ms, p95 < 100 ms",
     lambda m, p: m < 0.05 and p < 0.1),
    ("end", "End in the list", "ms", "< 50 ms", lambda m, p: m < 0.05),
    ("page_down", "PageDown in the list", "ms", "< 50 ms", lambda m, p: m < 0.05),
    ("open_party", "open the party with most interactions", "ms", "< 150 ms", lambda m, p: m < 0.15),
    ("agenda", "agenda painted", "ms", "< 300 ms", lambda m, p: m < 0.3),
    # a card is its value, its base and its change against the previous period: the screen's
    # figures are all in when the changes are (the charts come after them)
    ("metrics", "metrics, every card's value", "ms", "< 500 ms", lambda m, p: m < 0.5),
    ("metrics_compared", "metrics, with the previous period's changes", "ms", "< 500 ms",
     lambda m, p: m < 0.5),
    ("peak_rss_mib", "peak RSS (list, party, metrics)", "MiB", "< 200 MB, < 1.3 × 1k", None),
    ("cli_due", "`reltui due`", "ms", "< 0.5 s", lambda m, p: m < 0.5),
    ("cli_metrics", "`reltui metrics --json`", "ms", "—", None),
    ("cli_list", "`reltui list --limit 50`", "ms", "—", None),
)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def p95(values: list[float]) -> float:
    """Nearest rank: with fewer than 20 samples this is the slowest one."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summarise(samples: list[float]) -> dict:
    return {"median": median(samples), "p95": p95(samples), "n": len(samples),
            "samples": [round(s, 4) for s in samples]}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    tmux = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    versions = {}
    for dist in ("reltui", "textual", "sqlalchemy", "sqlmodel"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"cpu": cpu, "cores": cores, "ram_gib": round(ram / 2**30, 1),
            "yardstick_ms": yardstick_ms(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "os": f"{platform.system()} {platform.release()}", "tmux": tmux,
            "pane_term": "tmux-256color", "packages": versions,
            "executable": sys.executable}


def yardstick_ms() -> float:
    """The machine's speed now (the same machine kind has been seen to run twice as slow
    from one hour to the next): runs compare by it. Best of 7 of sum(range(10**6)), in ms."""
    return round(min(timeit.repeat("sum(range(1_000_000))", number=5, repeat=7)) / 5 * 1000, 1)


def machine_line(m: dict) -> str:
    return (f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']:g} GiB RAM, {m['os']}, "
            f"Python {m['python']}, SQLite {m['sqlite']}, Textual {m['packages'].get('textual')}, "
            f"{m['tmux']}" + (f"; yardstick sum(range(10**6)) {m['yardstick_ms']:g} ms"
                              if m.get("yardstick_ms") else ""))


def source_state() -> dict:
    """The commit measured, and the source files that differ from it (others work here too)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parents[2])
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "subject": git("log", "-1", "--format=%s"),
            "dirty": git("status", "--porcelain", "--", "src").splitlines()}


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def _cell(fig: dict | None, unit: str) -> str:
    if not fig:
        return "—"
    m, p = fig["median"], fig["p95"]
    if unit == "s":
        return f"{m:.1f} / {p:.1f} s"
    if unit == "MiB":
        return f"{m:.0f} / {p:.0f} MiB"
    return f"{m * 1000:.0f} / {p * 1000:.0f} ms"


def table(results: dict) -> str:
    sizes = sorted(int(s) for s in results["sizes"])
    head = ["figure (median / p95)", *(f"{s:,} parties" for s in sizes), "target (100k)", "met"]
    rows = [head, ["---"] * len(head)]
    for key, label, unit, target, check in FIGURES:
        cells = [label]
        for size in sizes:
            cells.append(_cell(results["sizes"][str(size)]["figures"].get(key), unit))
        cells.append(target)
        cells.append(verdict(results, key, check))
        rows.append(cells)
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def verdict(results: dict, key: str, check) -> str:  # noqa: ANN001
    big = results["sizes"].get("100000")
    fig = big["figures"].get(key) if big else None
    if key == "peak_rss_mib":
        small = results["sizes"].get("1000", {}).get("figures", {}).get(key)
        if not fig or not small:
            return "?"
        ok = fig["median"] * 2**20 < 200e6 and fig["median"] < 1.3 * small["median"]
        return "yes" if ok else "**no**"
    if check is None:
        return ""
    if not fig:
        return "?"
    return "yes" if check(fig["median"], fig["p95"]) else "**no**"
