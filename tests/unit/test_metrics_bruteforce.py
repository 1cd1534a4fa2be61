"""The SQL metrics against a plain Python computation over every row of a generated book.

The Python side below reads each table whole and follows DOMAIN.md "Metrics"
word for word, one party at a time: no shortcut the SQL takes (rollup columns,
"bought minus defected", rung_since, month ranges) is used here, so any
disagreement is a bug on one side.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from reltui.domain.metrics import Period
from reltui.sample import generate
from reltui.services import Services
from reltui.services.metrics import compute_metrics, drill_down
from reltui.store import open_store

TODAY = date(2026, 11, 22)
RUNGS = ["prospect", "customer", "client", "supporter", "advocate", "partner"]


@dataclass
class Book:
    parties: dict
    purchases: dict
    defections: dict
    interactions: dict
    steps: dict
    feedback: list
    follow_ups: list
    defection_rows: list


def _d(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _load(store) -> Book:
    with store.read() as conn:
        def rows(sql):
            return [r._mapping for r in conn.execute(text(sql))]

        parties = {r["id"]: dict(r) for r in rows(
            "SELECT id, name, kind, created_on, referred_by_id, cadence_days FROM party")}
        purchases = defaultdict(list)
        for r in rows("SELECT party_id, on_date, revenue_cents, cost_cents FROM purchase"):
            purchases[r["party_id"]].append((_d(r["on_date"]), r["revenue_cents"], r["cost_cents"] or 0))
        defections = defaultdict(list)
        defection_rows = []
        for r in rows("SELECT id, party_id, on_date, reason, won_back_on FROM defection"):
            won = _d(r["won_back_on"]) if r["won_back_on"] else None
            defections[r["party_id"]].append((_d(r["on_date"]), won))
            defection_rows.append((r["party_id"], _d(r["on_date"]), r["reason"]))
        interactions = defaultdict(list)
        for r in rows("SELECT party_id, at FROM interaction"):
            interactions[r["party_id"]].append(datetime.fromisoformat(str(r["at"])))
        steps = defaultdict(list)
        for r in rows("SELECT id, party_id, from_rung, to_rung, on_date FROM rung_step"):
            steps[r["party_id"]].append((_d(r["on_date"]), r["id"], r["from_rung"], r["to_rung"]))
        feedback = [(r["party_id"], _d(r["on_date"]), r["score"])
                    for r in rows("SELECT party_id, on_date, score FROM feedback")]
        follow_ups = [(r["party_id"], _d(r["due_on"]), r["status"],
                       _d(r["done_on"]) if r["done_on"] else None, _d(r["created_on"]))
                      for r in rows("SELECT party_id, due_on, status, done_on, created_on FROM follow_up")]
    for p in parties.values():
        p["created_on"] = _d(p["created_on"])
    return Book(parties, purchases, defections, interactions, steps, feedback, follow_ups,
                defection_rows)


def _in_segment(kind: str, segment: str) -> bool:
    return segment == "all" or (kind == "customer") == (segment == "b2c")


def _defected(book: Book, pid: int, day: date) -> bool:
    return any(on <= day and (won is None or won > day) for on, won in book.defections[pid])


def _active(book: Book, pid: int, day: date) -> bool:
    return any(on <= day for on, _r, _c in book.purchases[pid]) and not _defected(book, pid, day)


def _rung_at(book: Book, pid: int, day: date) -> str | None:
    if book.parties[pid]["created_on"] > day:
        return None
    before = sorted(s for s in book.steps[pid] if s[0] <= day)
    return before[-1][3] if before else None


def _profit(book: Book, pid: int, start: date, end: date) -> tuple[int, int, int]:
    """(revenue, profit, purchases) of a party over [start, end]."""
    bought = [(r, r - c) for on, r, c in book.purchases[pid] if start <= on <= end]
    return sum(b[0] for b in bought), sum(b[1] for b in bought), len(bought)


def _money(cents) -> Decimal:
    if isinstance(cents, Fraction):
        exact = Decimal(cents.numerator) / Decimal(cents.denominator)
    else:
        exact = Decimal(repr(cents))
    return (exact / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _name_key(book: Book, pid: int):
    name = book.parties[pid]["name"]
    folded = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)  # NOCASE: ASCII only
    return folded, pid


def brute(book: Book, start: date, end: date, segment: str) -> dict:
    ids = [pid for pid, p in book.parties.items() if _in_segment(p["kind"], segment)]
    out: dict = {}
    whole_year = end - relativedelta(years=1) + timedelta(days=1) == start
    years = 1 if whole_year else ((end - start).days + 1) / 365

    base = [pid for pid in ids if _active(book, pid, start)]
    retained = [pid for pid in base if _active(book, pid, end)]
    out["retention"] = (len(retained) / len(base) if base else None, len(base))
    out["won"] = sum(1 for pid in ids if book.purchases[pid]
                     and start < min(b[0] for b in book.purchases[pid]) <= end)
    out["active_end"] = sum(1 for pid in ids if _active(book, pid, end))
    # exact fractions for a one-year period (as the code keeps them), floats otherwise
    r = Fraction(len(retained), len(base)) if base else None
    r_year = None if r is None else (r if whole_year else float(r) ** (1 / years))
    m = (Fraction(sum(_profit(book, pid, start, end)[1] for pid in retained), len(retained))
         / Fraction(years) if retained else None)
    i = Fraction(1, 10)
    if m is not None and r_year is not None and not whole_year:
        m, i = float(m), 0.1
    out["clv"] = None if m is None or r_year is None else _money(m * r_year / (1 + i - r_year))

    period = {pid: _profit(book, pid, start, end) for pid in ids}
    buyers = [pid for pid in ids if period[pid][2] > 0]
    revenue = sum(period[pid][0] for pid in buyers)
    out["buyers"] = len(buyers)
    out["revenue"] = _money(revenue)
    out["profit"] = _money(sum(period[pid][1] for pid in buyers))
    top = -(-len(buyers) // 5)
    by_revenue = sorted(buyers, key=lambda pid: (-period[pid][0], *_name_key(book, pid)))
    # refunds beyond purchases count as bringing nothing, so the share stays in 0..1
    positive = sum(max(period[pid][0], 0) for pid in buyers)
    out["pareto"] = (sum(max(period[pid][0], 0) for pid in by_revenue[:top]) / positive
                     if positive > 0 else None, len(buyers))
    out["pareto_members"] = by_revenue[:top]

    members = [pid for pid in buyers if _active(book, pid, end)]
    positive = sorted((pid for pid in members if period[pid][1] > 0),
                      key=lambda pid: (-period[pid][1], *_name_key(book, pid)))
    n = len(positive)
    platinum = min(n, -(-n // 10))
    gold = min(n - platinum, -(-n // 5))
    tiers = {"platinum": positive[:platinum], "gold": positive[platinum:platinum + gold],
             "iron": positive[platinum + gold:],
             "lead": sorted((pid for pid in members if period[pid][1] <= 0),
                            key=lambda pid: (-period[pid][1], *_name_key(book, pid)))}
    out["tiers"] = tiers
    out["tier_profit"] = {t: _money(sum(period[pid][1] for pid in v)) for t, v in tiers.items()}

    e1 = datetime.combine(end + timedelta(days=1), datetime.min.time())
    s0 = datetime.combine(start, datetime.min.time())

    def bought_by_end(pid: int) -> int:
        return sum(1 for on, _r, _c in book.purchases[pid] if on <= end)

    helped = [pid for pid in ids if any(s0 <= at < e1 for at in book.interactions[pid])]
    loyal = [pid for pid in helped
             if bought_by_end(pid) >= 2 or book.parties[pid]["referred_by_id"] is not None]
    out["ror"] = (len(loyal) / len(helped) if helped else None, len(helped))
    once = [pid for pid in ids if bought_by_end(pid) >= 1]
    out["repeat"] = (sum(1 for pid in once if bought_by_end(pid) >= 2) / len(once) if once else None,
                     len(once))
    added = [pid for pid in ids if start <= book.parties[pid]["created_on"] <= end]
    out["referrals"] = (sum(1 for pid in added if book.parties[pid]["referred_by_id"] is not None),
                        len(added))

    scores = [sc for pid, on, sc in book.feedback
              if start <= on <= end and _in_segment(book.parties[pid]["kind"], segment)]
    out["mean_feedback"] = (sum(scores) / len(scores) if scores else None, len(scores))
    out["nps"] = ((sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
                  if scores else None, len(scores))

    ladder = {}
    for rung in RUNGS:
        at_start = [pid for pid in ids if _rung_at(book, pid, start) == rung
                    and not _defected(book, pid, start)]
        at_end = [pid for pid in ids if _rung_at(book, pid, end) == rung and not _defected(book, pid, end)]
        climbed = [pid for pid in at_start
                   if _rung_at(book, pid, end) and RUNGS.index(_rung_at(book, pid, end)) > RUNGS.index(rung)]
        ladder[rung] = (len(at_start), len(at_end), len(climbed))
    out["ladder"] = ladder
    moves = [(f, t) for pid in ids for on, _i, f, t in book.steps[pid] if f and start <= on <= end]
    out["climbs"] = sum(1 for f, t in moves if RUNGS.index(t) > RUNGS.index(f))
    out["falls"] = sum(1 for f, t in moves if RUNGS.index(t) < RUNGS.index(f))

    fus = [f for f in book.follow_ups if _in_segment(book.parties[f[0]]["kind"], segment)]
    open_end = [f for f in fus if f[4] <= end and (f[2] == "open" or (f[3] is not None and f[3] > end))]
    out["overdue"] = (sum(1 for f in open_end if f[1] < end), len(open_end))
    done = [f for f in fus if f[3] is not None and start <= f[3] <= end]
    out["on_time"] = (sum(1 for f in done if f[3] <= f[1]) / len(done) if done else None, len(done))

    with_cadence = [pid for pid in ids if _active(book, pid, end) and book.parties[pid]["cadence_days"]]

    def last_touch(pid: int) -> date:
        touches = [at for at in book.interactions[pid] if at < e1]
        return max(touches).date() if touches else book.parties[pid]["created_on"]

    past = [pid for pid in with_cadence
            if (end - last_touch(pid)).days > book.parties[pid]["cadence_days"]]
    out["past_cadence"] = (len(past), len(with_cadence))

    reasons: dict = defaultdict(lambda: [0, 0])
    for pid, on, reason in book.defection_rows:
        if start <= on <= end and _in_segment(book.parties[pid]["kind"], segment):
            since = on - relativedelta(years=1)
            reasons[reason][0] += 1
            reasons[reason][1] += sum(r - c for d, r, c in book.purchases[pid] if since <= d < on)
    out["defections"] = {k: (v[0], _money(v[1])) for k, v in reasons.items()}

    months = []
    for first, last in Period(start, end).months():
        months.append((sum(1 for pid in ids if _active(book, pid, last)),
                       _money(sum(_profit(book, pid, first, last)[0] for pid in ids)),
                       sum(1 for pid, on, _r in book.defection_rows
                           if first <= on <= last and _in_segment(book.parties[pid]["kind"], segment))))
    out["months"] = months
    return out


@pytest.fixture(scope="module")
def book(module_book_factory):
    store = open_store(module_book_factory("brute"))
    generate(store, parties=700, seed=11, today=TODAY)
    svc = Services(store, clock=lambda: datetime(2026, 11, 22, 10, 0))
    yield svc, _load(store)
    store.close()


PERIODS = [
    (None, None),  # the default: the 12 months ending today
    (date(2025, 1, 1), date(2025, 12, 31)),
    (date(2025, 4, 10), date(2025, 7, 9)),  # not whole months
    (date(2026, 1, 1), TODAY),  # year to date
    (date(2024, 2, 29), date(2024, 2, 29)),  # one (leap) day
    (date(2023, 11, 23), date(2026, 11, 22)),  # three years
]


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("segment", ["all", "b2c", "b2b"])
@pytest.mark.parametrize("start,end", PERIODS)
def test_sql_agrees_with_python(book, start, end, segment):
    svc, data = book
    m = compute_metrics(svc, start, end, segment)
    want = brute(data, m.period.start, m.period.end, segment)

    assert _close(m.retention.value, want["retention"][0]) and m.retention.base == want["retention"][1]
    assert m.won == want["won"] and m.active_end == want["active_end"]
    assert m.clv.value == want["clv"]
    assert (m.buyers, m.revenue, m.profit) == (want["buyers"], want["revenue"], want["profit"])
    assert _close(m.pareto.value, want["pareto"][0]) and m.pareto.base == want["pareto"][1]
    assert {t.name: t.count for t in m.pyramid} == {k: len(v) for k, v in want["tiers"].items()}
    assert {t.name: t.profit for t in m.pyramid} == want["tier_profit"]
    assert _close(m.ror.value, want["ror"][0]) and m.ror.base == want["ror"][1]
    assert _close(m.repeat_purchase.value, want["repeat"][0]) and m.repeat_purchase.base == want["repeat"][1]
    assert (m.referrals.value, m.referrals.base) == want["referrals"]
    assert _close(m.mean_feedback.value, want["mean_feedback"][0])
    assert _close(m.nps.value, want["nps"][0]) and m.nps.base == want["nps"][1]
    assert {r.rung.value: (r.at_start, r.at_end, round(r.climbed.value * r.at_start)
                           if r.climbed.value is not None else 0)
            for r in m.ladder if r.rung.value != "partner"} == \
        {k: v for k, v in want["ladder"].items() if k != "partner"}
    assert m.rung("partner").at_start == want["ladder"]["partner"][0]
    assert m.rung("partner").at_end == want["ladder"]["partner"][1]
    assert (m.climbs, m.falls) == (want["climbs"], want["falls"])
    assert (m.overdue_follow_ups.value, m.overdue_follow_ups.base) == want["overdue"]
    assert _close(m.on_time.value, want["on_time"][0]) and m.on_time.base == want["on_time"][1]
    assert (m.past_cadence.value, m.past_cadence.base) == want["past_cadence"]
    assert {d.reason.value: (d.count, d.lost_profit) for d in m.defections if d.count} == want["defections"]
    assert [(p.active, p.revenue, p.defections) for p in m.months] == want["months"]


@pytest.mark.parametrize("segment", ["all", "b2b"])
def test_drill_downs_list_the_same_parties(book, segment):
    svc, data = book
    start, end = date(2025, 11, 23), TODAY
    want = brute(data, start, end, segment)
    for tier, members in want["tiers"].items():
        drilled = drill_down(f"pyramid:{tier}", svc, start, end, segment, limit=100_000)
        assert [r.party_id for r in drilled.rows] == members, tier
        assert drilled.total == len(members)
    pareto = drill_down("pareto", svc, start, end, segment, limit=100_000)
    assert [r.party_id for r in pareto.rows] == want["pareto_members"]
    churn = drill_down("churn", svc, start, end, segment, limit=100_000)
    m = compute_metrics(svc, start, end, segment)
    assert churn.total == m.lost and all(r.value == "lost" for r in churn.rows)
    retention = drill_down("retention", svc, start, end, segment, limit=100_000)
    assert retention.total == m.retention.base
    assert drill_down("past_cadence", svc, start, end, segment).total == m.past_cadence.value
    assert drill_down("ror", svc, start, end, segment, limit=5).total == m.ror.base
    for rung in RUNGS:
        assert drill_down(f"ladder:{rung}", svc, start, end, segment).total == m.rung(rung).at_end
    assert drill_down("overdue_follow_ups", svc, start, end, segment).total == m.overdue_follow_ups.value
    assert drill_down("defections", svc, start, end, segment).total == m.defections_total
