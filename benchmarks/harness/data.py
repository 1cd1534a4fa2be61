"""The sample books: built with `reltui sample`, cached under benchmarks/.cache/, and what the
UI scenario needs to know about each (expected counts and names, the heaviest party).

A cached book is keyed by size, seed and the day it was built around (the app's "today" is
the real date, so a book from another day would show another agenda); stale ones are
removed. The expected values are read with reltui's own services, only to know what text
to wait for on the screen; nothing is timed here.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "benchmarks" / ".cache"
RELTUI = ROOT / ".venv" / "bin" / "reltui"
SEED = 7
# surnames and first names of the generator's word lists; the first whose every prefix
# narrows the list is typed letter by letter
SEARCH_WORDS = ("nieminen", "oliveira", "andersson", "hernandez", "mwangi", "kowalski", "byrne")


def book_path(parties: int, today: date) -> Path:
    """Keyed by size, seed, day and schema version (a book from an older schema would be
    upgraded by the app on first open, with a backup beside it: not what a user has)."""
    from reltui.store import migrations

    return CACHE / f"parties-{parties}-seed{SEED}-{today.isoformat()}-schema{migrations.LATEST}.db"


def run_sample(path: Path, parties: int, today: date) -> float:
    """One `reltui sample` run into a new file; returns its wall time in seconds."""
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run([str(RELTUI), "sample", str(path), "--parties", str(parties), "--seed", str(SEED),
                    "--today", today.isoformat()], check=True, capture_output=True)
    return time.perf_counter() - start


def ensure_book(parties: int, today: date) -> Path:
    """The cached book for this size and day, built if missing (untimed)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = book_path(parties, today)
    for old in CACHE.glob(f"parties-{parties}-seed*"):
        if not old.name.startswith(path.name):
            old.unlink()  # another day, another schema, or an upgrade's backup
    if not path.exists():
        tmp = path.with_suffix(".building")
        run_sample(tmp, parties, today)
        tmp.rename(path)
    return path


@dataclass(frozen=True)
class Probe:
    """What the UI scenario waits for on one book."""

    active: int                      # the Parties status line at start
    first_name: str                  # the first row by name
    last_name: str                   # the last row by name (after End)
    word: str                        # typed letter by letter
    prefix_counts: tuple[int, ...]   # the count after each letter
    prefix_first: tuple[str, ...]    # the first row after each letter
    heavy_id: int                    # the party with the most interactions
    heavy_name: str
    heavy_interactions: int
    heavy_key: str                   # a search that finds that party (its email)
    heavy_matches: int               # how many parties that search finds
    heavy_rank: int                  # the party's row in that list


def probe(path: Path) -> Probe:
    from reltui.services import Services
    from reltui.store import open_store

    store = open_store(path)
    try:
        svc = Services(store)
        active = svc.count_parties(status="active")
        first = svc.list_parties(status="active", limit=1)[0].name
        last = svc.list_parties(status="active", offset=active - 1, limit=1)[0].name
        word, counts, firsts = _pick_word(svc)
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            heavy_id, heavy_n = db.execute(
                "SELECT i.party_id, count(*) AS n FROM interaction i JOIN party p ON p.id = i.party_id "
                "WHERE p.defected_on IS NULL GROUP BY i.party_id ORDER BY n DESC, i.party_id LIMIT 1"
            ).fetchone()
            name = db.execute("SELECT name FROM party WHERE id = ?", (heavy_id,)).fetchone()[0]
            emails = [r[0] for r in db.execute(
                "SELECT value FROM contact_point WHERE party_id = ? AND kind = 'email' "
                "ORDER BY position", (heavy_id,))]
        finally:
            db.close()
        key = emails[0] if emails else name
        matches = svc.count_parties(search=key, status="active")
        ids = [r.id for r in svc.list_parties(search=key, status="active", limit=matches)]
    finally:
        store.close()
    return Probe(active, first, last, word, counts, firsts, heavy_id, name, heavy_n, key,
                 matches, ids.index(heavy_id))


def _pick_word(svc) -> tuple[str, tuple[int, ...], tuple[str, ...]]:  # noqa: ANN001
    for word in SEARCH_WORDS:
        counts, firsts = [], []
        for i in range(1, len(word) + 1):
            prefix = word[:i]
            counts.append(svc.count_parties(search=prefix, status="active"))
            rows = svc.list_parties(search=prefix, status="active", limit=1)
            firsts.append(rows[0].name if rows else "")
        if counts[-1] > 0:  # the first word that finds someone
            return word, tuple(counts), tuple(firsts)
    raise RuntimeError("no search word finds anyone in this book")
