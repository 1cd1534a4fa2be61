"""Time a 100,000-card vCard import into an empty book (target: under 20 s on 2 cores).

    .venv/bin/python benchmarks/bench_import.py [CARDS]   (--help: the options)

Writes a made-up vCard file (names from a fixed list, numbers from fictional
ranges) to a temporary folder, imports it, and prints the times: the wall time of
the import and the CPU time it took (this process and its worker processes; more
CPU than wall time means the two cores worked side by side). The machine is shared:
compare runs made back to back, and see the yardstick.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from harness.report import yardstick_ms
from reltui.services import Services
from reltui.services.interop import import_file
from reltui.store import open_store

FIRST = ["Ana", "Ben", "Chidi", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kai", "Lena"]
LAST = ["Silva", "Okafor", "Berg", "Raman", "Rossi", "Chen", "Dahl", "Novak", "Haddad", "Kim"]


def write_cards(path: Path, count: int) -> None:
    rnd = random.Random(5)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for i in range(count):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            fh.write(
                "BEGIN:VCARD\r\nVERSION:3.0\r\n"
                f"FN:{first} {last} {i}\r\nN:{last};{first};;;\r\n"
                f"EMAIL;TYPE=INTERNET:{first.lower()}.{last.lower()}.{i}@example.com\r\n"
                f"TEL;TYPE=CELL:+1 555 {i // 10000:02d}{i % 10000:04d}\r\n"
                + (f"BDAY:19{rnd.randint(40, 99)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}\r\n"
                   if rnd.random() < 0.5 else "")
                + (f"ORG:{last} Trading\r\n" if rnd.random() < 0.3 else "")
                + ("CATEGORIES:customer,newsletter\r\n" if rnd.random() < 0.4 else "")
                + ("NOTE:Met at the spring fair\\; wants a call back.\r\n" if rnd.random() < 0.2 else "")
                + "END:VCARD\r\n")


def _cpu() -> float:
    """User and system CPU seconds of this process and of its ended children (the import's
    worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(count: int) -> dict:
    """Write `count` cards, import them into a new book; the figures as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        cards = Path(tmp) / "cards.vcf"
        write_cards(cards, count)
        size = cards.stat().st_size
        store = open_store(Path(tmp) / "book.db")
        try:
            cpu_before = _cpu()
            start = time.perf_counter()
            summary = import_file(Services(store), cards)
            elapsed = time.perf_counter() - start
            cpu = _cpu() - cpu_before
        finally:
            store.close()
    return {"cards": summary.records, "added": summary.added, "bytes": size,
            "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2),
            "yardstick_ms": yardstick_ms()}


def describe(m: dict) -> str:
    return (f"imported {m['added']:,} of {m['cards']:,} cards in {m['seconds']:.1f} s "
            f"({m['added'] / m['seconds']:,.0f} cards/s), {m['bytes']:,} bytes, "
            f"{m['cpu_seconds']:.1f} s of CPU (worker processes included); "
            f"machine yardstick sum(range(10**6)) {m['yardstick_ms']:.1f} ms (see benchmarks/run.py)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cards", nargs="?", type=int, default=100_000,
                        help="how many cards to write and import (default 100,000)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    figures = measure(args.cards)
    print(json.dumps(figures) if args.json else describe(figures))


if __name__ == "__main__":
    main()
