"""The UI figures, each measured from outside the process: keys go in through tmux, the clock
stops at the first captured screen that shows the expected change.

Every session is a fresh `reltui --db BOOK` (so each screen is opened cold, as a user opens
it after starting the app): start to Parties, End and PageDown, search keystrokes, opening
the heaviest party, the agenda, the metrics, then the peak resident size.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

from harness.data import RELTUI, Probe
from harness.term import Terminal, Timeout, peak_rss_mib

SETTLE = 0.25   # after an untimed step that leaves nothing to wait for
PAGE_DOWNS = 5
OPENS = 3

ELLIPSIS_ROW = re.compile(r"^…\s", re.M)          # a row whose page is still loading
CARD_PENDING = re.compile(r"(^|\s\s)…(\s\s|$)", re.M)  # a metric card without its value yet
AGENDA_COUNTS = re.compile(r"^ overdue [\d,]+ · today [\d,]+", re.M)
METRICS_BAR = re.compile(r"^ \d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d .*· vs ", re.M)
# the summary line of Today (drawn with the data; it may end in "…" on a narrow terminal)
TODAY_LINE = re.compile(r"^ \w+day \d+ \w+ \d{4} · (?:[^·\n]+ · )?[\d,]+\+? overdue", re.M)


def _lines(screen: str) -> list[str]:
    return screen.splitlines()


def _has_row(screen: str, name: str) -> bool:
    return any(line.startswith(name[:30]) for line in _lines(screen))


def _status(screen: str, count: int, search: bool) -> bool:
    word = "party" if count == 1 else "parties"
    middle = " · matching the search · " if search else " · "
    return f"\n {count:,} {word}{middle}" in "\n" + screen


def _party_list(count: int, first: str, search: bool = False):  # noqa: ANN202
    return lambda s: _status(s, count, search) and _has_row(s, first) and not ELLIPSIS_ROW.search(s)


def _table_settled(before: str):  # noqa: ANN202
    def check(s: str) -> bool:
        return s != before and not ELLIPSIS_ROW.search(s) and "Name" in s
    return check


def session(term: Terminal, book: Path, p: Probe, out: defaultdict[str, list[float]],
            log=print) -> None:  # noqa: ANN001
    """One fresh process: every UI figure once (some several times), appended to `out`."""
    argv = [str(RELTUI), "--db", str(book)]

    # start -> Today painted (a separate launch: the default screen)
    start = term.spawn(argv)
    out["start_today"].append(term.wait(lambda s: TODAY_LINE.search(s) is not None and
                                        not ELLIPSIS_ROW.search(s), "Today", start=start))
    _quit(term)

    # start -> Parties painted with rows: `p` goes in right after the launch
    start = term.spawn(argv)
    term.keys("p")
    out["start_parties"].append(term.wait(_party_list(p.active, p.first_name), "Parties with rows",
                                          start=start, timeout=60))
    pid = term.pid()

    # End, then Home and PageDown from the top
    t0 = term.keys("End")
    out["end"].append(term.wait(lambda s: _has_row(s, p.last_name) and not ELLIPSIS_ROW.search(s),
                                "the last row", start=t0))
    term.keys("Home")
    term.wait(lambda s: _has_row(s, p.first_name) and not ELLIPSIS_ROW.search(s), "the first row")
    for _ in range(PAGE_DOWNS):
        before = term.screen()
        t0 = term.keys("PageDown")
        out["page_down"].append(term.wait(_table_settled(before), "the next page", start=t0))

    # keystrokes in the search: a letter whose result differs from the last one is timed
    term.keys("/")
    time.sleep(SETTLE)
    for word, counts, firsts in ((p.word, p.prefix_counts, p.prefix_first),):
        last = (p.active, p.first_name, False)
        for i, (letter, count, first) in enumerate(zip(word, counts, firsts, strict=True)):
            t0 = term.type(letter)
            if (count, first, True) != last:
                took = term.wait(_party_list(count, first, True), f"{count} matches", start=t0)
                out["search_key"].append(took)
                out[f"search_key:{word[:i + 1]}"].append(took)  # by prefix, for results.json
            else:
                time.sleep(SETTLE)
            last = (count, first, True)
        term.keys("C-u")
        term.wait(_party_list(p.active, p.first_name), "the whole list again")

    # open the party with the most interactions, found by its email in the search
    term.type(p.heavy_key)
    term.wait(lambda s: _status(s, p.heavy_matches, True) and not ELLIPSIS_ROW.search(s),
              "the heavy party in the list")
    term.keys("Enter")  # the search hands the focus to the list
    time.sleep(SETTLE)
    for _ in range(p.heavy_rank):
        term.keys("Down")
    time.sleep(SETTLE)
    marker = f"  #{p.heavy_id}"
    for _ in range(OPENS):
        t0 = term.keys("Enter")
        out["open_party"].append(term.wait(lambda s: _party_screen(s, p.heavy_name, marker),
                                           "the party and its timeline", start=t0))
        term.keys("Escape")
        term.wait(lambda s: _status(s, p.heavy_matches, True), "back to the list")
        time.sleep(SETTLE)

    # the agenda, then the metrics (both opened cold in this process)
    t0 = term.keys("a")
    out["agenda"].append(term.wait(lambda s: AGENDA_COUNTS.search(s) is not None and
                                   not ELLIPSIS_ROW.search(s) and "Party" in s,
                                   "the agenda", start=t0))
    t0 = term.keys("m")
    out["metrics"].append(term.wait(_metrics_done, "every metric card", start=t0, timeout=120))
    out["metrics_compared"].append(term.wait(_metrics_compared, "the previous period's changes",
                                             start=t0, timeout=120))
    hwm, rss = peak_rss_mib(pid)
    out["peak_rss_mib"].append(hwm)
    log(f"    session: start->parties {out['start_parties'][-1]*1000:.0f} ms, "
        f"metrics {out['metrics'][-1]*1000:.0f} ms (compared "
        f"{out['metrics_compared'][-1]*1000:.0f} ms), peak {hwm:.0f} MiB (now {rss:.0f})")
    _quit(term)


def _party_screen(screen: str, name: str, marker: str) -> bool:
    lines = _lines(screen)
    for i, line in enumerate(lines):
        if marker in line and line.strip().startswith(name[:20]):
            # the timeline: a header "When" and at least one row under it
            for j in range(i + 1, len(lines) - 1):
                if lines[j].lstrip().startswith("When"):
                    return bool(lines[j + 1].strip()) and "…" != lines[j + 1].strip()
    return False


def _metrics_done(screen: str) -> bool:
    bar = METRICS_BAR.search(screen)
    return (bar is not None and "computing" not in screen and "Retention" in screen
            and not CARD_PENDING.search(screen))


def _metrics_compared(screen: str) -> bool:
    """Every card with its change against the previous period as well."""
    return _metrics_done(screen) and "prev …" not in screen and "comparing" not in screen


def _quit(term: Terminal) -> None:
    term.keys("q")
    deadline = time.perf_counter() + 10
    while not term.dead():
        if time.perf_counter() > deadline:
            break  # respawn-pane -k ends it
        time.sleep(0.02)


def measure(book: Path, p: Probe, sessions: int, log=print) -> tuple[dict[str, list[float]], float]:  # noqa: ANN001
    term = Terminal()
    out: defaultdict[str, list[float]] = defaultdict(list)
    try:
        overhead = term.overhead()
        for i in range(sessions):
            try:
                session(term, book, p, out, log)
            except Timeout as exc:  # one stuck session loses its figures, not the whole run
                log(f"    session {i + 1}: {exc}")
                out["failed_sessions"].append(i + 1)
                _quit(term)
    finally:
        term.close()
    return dict(out), overhead
