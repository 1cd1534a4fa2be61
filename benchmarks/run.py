"""reltui benchmarks: build sample books at 1,000, 10,000 and 100,000 parties and measure what
a user waits for, from outside the process, in a real terminal (tmux).

    make bench                                   # everything (5 to 15 minutes on 2 cores)
    make bench ARGS="--sizes 1000,10000 --repeat 3"
    .venv/bin/python benchmarks/run.py --quick   # fewer repeats, a smoke run

Figures (median and 95th percentile, nearest rank: with fewer than 20 samples the p95 is
the slowest run):
- `reltui sample --parties N` wall time (into a new file each run; the first run is the
  cached book under benchmarks/.cache/ when none exists for today);
- `reltui due`, `reltui metrics --json`, `reltui list --limit 50` wall time;
- UI, each session a fresh `reltui --db BOOK` in a private tmux server (`tmux -L
  reltui-bench`, 120x40), keys sent with send-keys and the screen polled with
  capture-pane every 5 ms: start to Today, start to Parties with rows (`p` sent at once),
  End, PageDown, each search keystroke whose result differs from the previous one, opening
  the active party with the most interactions (three times), the agenda, the metrics with
  every card filled, and the peak resident size (VmHWM) after all that;
- a 100,000-card vCard import into an empty book (`bench_import.py`; --import-cards).

Prints one table (also the README's) and writes benchmarks/results.json. Results for sizes
not measured in this run are kept from the previous results.json. Benchmarks are not tests:
nothing here fails on a slow figure. Keep the machine otherwise idle while it runs.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_import  # noqa: E402
from harness import data, report, ui  # noqa: E402

RESULTS = HERE / "results.json"
SIZES = (1_000, 10_000, 100_000)
CLI = {
    "cli_due": ["due"],
    "cli_metrics": ["metrics", "--json"],
    "cli_list": ["list", "--limit", "50"],
}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def time_cli(book: Path, args: list[str], repeat: int) -> list[float]:
    times = []
    subprocess.run([str(data.RELTUI), "--db", str(book), *args], stdout=subprocess.DEVNULL,
                   check=True)  # warm the page cache and the .pyc files; not counted
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(data.RELTUI), "--db", str(book), *args], stdout=subprocess.DEVNULL,
                       check=True)
        times.append(time.perf_counter() - start)
    return times


def time_import(cards: int) -> dict:
    """The import benchmark in its own process (its CPU figure counts its own workers)."""
    log(f"== importing {cards:,} vCards into an empty book")
    out = subprocess.run([sys.executable, str(HERE / "bench_import.py"), str(cards), "--json"],
                         check=True, capture_output=True, text=True).stdout
    figures = {**json.loads(out.strip().splitlines()[-1]), "measured_at": report.now_iso(),
               "source": report.source_state()}
    log(f"  {bench_import.describe(figures)}")
    return figures


def book_counts(book: Path) -> dict:
    import sqlite3

    db = sqlite3.connect(f"file:{book}?mode=ro", uri=True)
    try:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("party", "interaction", "purchase", "follow_up")} | {
            "open_follow_ups": db.execute(
                "SELECT count(*) FROM follow_up WHERE status = 'open'").fetchone()[0]}
    finally:
        db.close()


def measure_size(size: int, today: date, repeat: int, sample_repeat: int,
                 skip_sample: bool) -> dict:
    figures: dict[str, dict] = {}
    load_before = os.getloadavg()
    log(f"== {size:,} parties (load average {load_before[0]:.2f})")
    path = data.book_path(size, today)
    sample_times: list[float] = []
    if not skip_sample:
        data.CACHE.mkdir(parents=True, exist_ok=True)
        scratch = data.CACHE / f"scratch-{size}.db"
        for i in range(sample_repeat):
            target = scratch if path.exists() else path.with_suffix(".building")
            seconds = data.run_sample(target, size, today)
            if target != scratch:
                target.rename(path)
            sample_times.append(seconds)
            log(f"  reltui sample #{i + 1}: {seconds:.1f} s")
        for extra in ("", "-wal", "-shm"):
            Path(f"{scratch}{extra}").unlink(missing_ok=True)
        figures["sample"] = report.summarise(sample_times)
    book = data.ensure_book(size, today)
    counts = book_counts(book)
    log(f"  book {book.name}: {counts}")
    probe = data.probe(book)
    log(f"  heaviest party #{probe.heavy_id} ({probe.heavy_interactions} interactions); "
        f"search word {probe.word!r}")
    for key, args in CLI.items():
        figures[key] = report.summarise(time_cli(book, args, repeat))
        log(f"  reltui {' '.join(args)}: median {figures[key]['median'] * 1000:.0f} ms")
    samples, overhead = ui.measure(book, probe, repeat, log=log)
    failed = samples.pop("failed_sessions", [])
    for key, values in samples.items():
        figures[key] = report.summarise(values)
    return {"measured_at": report.now_iso(), "source": report.source_state(), "book": counts,
            "repeat": repeat,
            "probe": {"heavy_party_id": probe.heavy_id,
                      "heavy_party_interactions": probe.heavy_interactions,
                      "search_word": probe.word, "search_counts": list(probe.prefix_counts)},
            "ui_overhead_ms": round(overhead * 1000, 1), "failed_sessions": failed,
            "load_average": {"before": [round(x, 2) for x in load_before],
                             "after": [round(x, 2) for x in os.getloadavg()]},
            "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated party counts (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="UI sessions and CLI runs per size (default 5)")
    parser.add_argument("--sample-repeat", type=int, default=None,
                        help="`reltui sample` runs per size (default: --repeat, at most 3 at 100k)")
    parser.add_argument("--quick", action="store_true",
                        help="2 repeats, one sample run per size: a smoke run")
    parser.add_argument("--no-sample", action="store_true",
                        help="do not time `reltui sample` (cached books are still built)")
    parser.add_argument("--import-cards", type=int, default=100_000,
                        help="cards in the import benchmark (default 100,000; 0: skip it)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    repeat = 2 if args.quick else max(1, args.repeat)
    today = date.today()

    # An installed reltui runs from compiled bytecode. Where PYTHONDONTWRITEBYTECODE is set
    # (as on some CI and sandbox machines) an editable install never writes its .pyc files,
    # and every launch would recompile reltui's modules (0.1-0.2 s) inside the figures.
    compileall.compile_dir(str(data.ROOT / "src"), quiet=1)

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {"date": report.now_iso(), "machine": report.machine(),
               "sizes": dict(previous.get("sizes", {}))}
    log(f"machine: {report.machine_line(results['machine'])}")
    for size in sizes:
        if args.quick:
            sample_repeat = 1
        elif args.sample_repeat is not None:
            sample_repeat = args.sample_repeat
        else:
            sample_repeat = min(repeat, 3) if size >= 100_000 else repeat
        results["sizes"][str(size)] = measure_size(size, today, repeat, sample_repeat,
                                                   args.no_sample)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    if args.import_cards > 0:
        results["import"] = time_import(args.import_cards)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    elif "import" in previous:
        results["import"] = previous["import"]
    sources = {json.dumps(v.get("source"), sort_keys=True) for v in results["sizes"].values()}
    if len(sources) > 1:
        log("warning: the sizes were measured on different source states (see results.json)")
    state = results["sizes"][str(sizes[-1])].get("source", {})
    print(f"Machine: {report.machine_line(results['machine'])}; measured {results['date'][:10]} "
          f"at {state.get('commit')}{' (with local changes)' if state.get('dirty') else ''}.")
    print()
    print(report.table(results))
    if "import" in results:
        print()
        print(f"Import: {bench_import.describe(results['import'])} (target: 100,000 cards in under 20 s).")
    log(f"\nwrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
