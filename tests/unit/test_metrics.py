"""compute_metrics over books built through Services: DOMAIN.md's worked examples, to the
cent, the n/a cases, and properties that must hold for any book."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reltui.domain.errors import InvalidInput
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.services.metrics import compute_metrics, drill_down, metrics_to_json
from reltui.store import open_store

Y2025 = (date(2025, 1, 1), date(2025, 12, 31))


class Clock:
    """A clock the test moves: parties are added 'on' the day it shows."""

    def __init__(self, day: date) -> None:
        self.at = datetime.combine(day, time(10))

    def __call__(self) -> datetime:
        return self.at

    def set(self, day: date) -> None:
        self.at = datetime.combine(day, time(10))


@pytest.fixture
def clock():
    return Clock(date(2026, 1, 15))


@pytest.fixture
def book(store, clock):
    return Services(store, clock=clock)


def add(svc: Services, clock: Clock, name: str, *, on: date, kind: str = "customer",
        referred_by: int | None = None, cadence: int | None = None) -> int:
    """Add a party as if on `on`, then put the clock back."""
    saved = clock.at
    clock.set(on)
    party_id = svc.add_party(PartyIn(name=name, kind=kind, referred_by_id=referred_by, cadence_days=cadence))
    clock.at = saved
    return party_id


def retention_book(svc: Services, clock: Clock, *, active: int = 50, leaving: int = 10, new: int = 7) -> list[int]:
    """`active` customers active on 1 Jan 2025, `leaving` of them defect in 2025, `new` are won.

    Each one who stays makes a profit of 100.00 in 2025 (revenue 150, cost 50).
    """
    ids = []
    for k in range(active):
        pid = add(svc, clock, f"Old {k:03d}", on=date(2024, 6, 1))
        svc.record_purchase(pid, "80", on=date(2024, 6, 1))
        ids.append(pid)
    for k, pid in enumerate(ids):
        if k < leaving:
            svc.defect(pid, "price", on=date(2025, 3, 1) + timedelta(days=k))
        else:
            svc.record_purchase(pid, "150", cost="50", on=date(2025, 5, 1))
    for k in range(new):
        pid = add(svc, clock, f"New {k:03d}", on=date(2025, 2, 1))
        svc.record_purchase(pid, "30", on=date(2025, 6, 1))
    return ids


# -- the worked examples ---------------------------------------------------------------------------

def test_retention_example(book, clock):
    retention_book(book, clock)
    m = compute_metrics(book, *Y2025)
    assert (m.retention.value, m.retention.base) == (0.8, 50)
    assert (m.churn.value, m.churn.base) == (0.2, 50)
    assert (m.won, m.retained, m.lost, m.active_end) == (7, 40, 10, 47)
    assert m.annual_retention.value == 0.8
    assert m.lifetime.value == 5.0


def test_lifetime_of_ten_years(book, clock):
    retention_book(book, clock, active=100, leaving=10, new=0)
    m = compute_metrics(book, *Y2025)
    assert (m.retention.value, m.lifetime.value) == (0.9, 10.0)


def test_clv_example(book, clock):
    retention_book(book, clock)
    m = compute_metrics(book, *Y2025, discount_rate="10%")
    assert m.margin.value == Decimal("100.00") and m.margin.base == 40
    assert m.clv.value == Decimal("266.67") and m.clv.base == 40


def test_discount_rate_comes_from_the_setting(book, clock):
    retention_book(book, clock)
    book.set_setting("discount_rate", "0.2")
    assert compute_metrics(book, *Y2025).clv.value == Decimal("200.00")  # 100 * .8 / .4
    assert compute_metrics(book, *Y2025, discount_rate="0.1").clv.value == Decimal("266.67")


def test_ror_example(book, clock):
    met = date(2025, 4, 1)
    sponsor = add(book, clock, "Sponsor", on=date(2024, 1, 1))
    for k in range(40):
        referred = sponsor if 12 <= k < 15 else None
        pid = add(book, clock, f"Helped {k:02d}", on=date(2024, 1, 1), referred_by=referred)
        book.log_interaction(pid, "Catch-up call", at=datetime.combine(met, time(9)))
        if k < 12:  # repeat buyers
            book.record_purchase(pid, "20", on=date(2024, 3, 1))
            book.record_purchase(pid, "20", on=date(2025, 3, 1))
        elif k >= 15 and k % 2:  # bought once
            book.record_purchase(pid, "20", on=date(2025, 3, 1))
    for k in range(5):  # loyal, but not helped in 2025: not counted
        pid = add(book, clock, f"Quiet {k}", on=date(2024, 1, 1))
        book.record_purchase(pid, "20", on=date(2024, 3, 1))
        book.record_purchase(pid, "20", on=date(2024, 4, 1))
        book.log_interaction(pid, "Old call", at=datetime(2024, 5, 1, 9))
    m = compute_metrics(book, *Y2025)
    assert (m.ror.value, m.ror.base, m.loyal) == (0.375, 40, 15)
    rows = drill_down("ror", book, *Y2025, limit=100).rows
    assert sum(r.value == "loyal" for r in rows) == 15 and len(rows) == 40


def test_a_second_purchase_after_the_period_end_does_not_count(book, clock):
    pid = add(book, clock, "Later", on=date(2024, 1, 1))
    book.record_purchase(pid, "20", on=date(2025, 6, 1))
    book.record_purchase(pid, "20", on=date(2026, 1, 5))
    book.log_interaction(pid, "Call", at=datetime(2025, 7, 1, 9))
    m = compute_metrics(book, *Y2025)
    assert (m.repeat_purchase.value, m.repeat_purchase.base) == (0.0, 1)
    assert (m.ror.value, m.ror.base) == (0.0, 1)
    assert compute_metrics(book, date(2025, 1, 1), date(2026, 1, 15)).repeat_purchase.value == 1.0


def test_nothing_to_rest_on_is_na_not_zero(book):
    m = compute_metrics(book, *Y2025)
    for figure in (m.retention, m.churn, m.annual_retention, m.lifetime, m.clv, m.margin,
                   m.profit_per_party, m.pareto, m.ror, m.repeat_purchase, m.mean_feedback, m.nps,
                   m.on_time):
        assert figure.value is None and figure.base == 0
    data = metrics_to_json(m)
    for key in ("retention_rate", "churn_rate", "average_lifetime_years", "clv", "pareto_share",
                "ror", "repeat_purchase_rate", "mean_feedback", "nps"):
        assert data[key] is None, key
    assert data["referrals"] == 0 and data["pyramid"] == {"platinum": 0, "gold": 0, "iron": 0, "lead": 0}
    json.dumps(data)  # plain JSON all the way down


def test_lifetime_is_na_when_everyone_stays(book, clock):
    retention_book(book, clock, active=5, leaving=0, new=0)
    m = compute_metrics(book, *Y2025)
    assert m.retention.value == 1.0 and m.lifetime.value is None and m.lifetime.base == 5
    assert m.clv.value == Decimal("1000.00")  # 100 * 1 / (1 + 0.1 - 1)
    assert compute_metrics(book, *Y2025, discount_rate="0").clv.value is None


def test_win_back_makes_a_party_active_again(book, clock):
    back = add(book, clock, "Came back", on=date(2024, 1, 1))
    book.record_purchase(back, "10", on=date(2024, 2, 1))
    book.defect(back, "service", on=date(2025, 3, 1))
    book.win_back(back, on=date(2025, 6, 1))
    early = add(book, clock, "Back before", on=date(2024, 1, 1))
    book.record_purchase(early, "10", on=date(2024, 2, 1))
    book.defect(early, "price", on=date(2024, 10, 1))
    book.win_back(early, on=date(2025, 4, 1))
    same_day = add(book, clock, "Same day", on=date(2024, 1, 1))
    book.record_purchase(same_day, "10", on=date(2024, 2, 1))
    book.defect(same_day, "other", on=date(2025, 1, 1))
    book.win_back(same_day, on=date(2025, 1, 1))
    m = compute_metrics(book, *Y2025)
    # back and same_day active on 1 Jan and on 31 Dec; early was defected on 1 Jan
    assert (m.retention.base, m.retained, m.won, m.active_end) == (2, 2, 0, 3)
    march = compute_metrics(book, date(2025, 1, 1), date(2025, 3, 31))
    assert (march.retention.base, march.retained) == (2, 1)
    assert march.defections_total == 2  # same_day's counts too, though it was won back at once
    assert {d.reason.value for d in march.defections if d.count} == {"service", "other"}


def test_pyramid_tiers_and_ties_by_name(book, clock):
    names = ["Carl", "adam", "Bea", "Dora", "Emil", "Fay", "Gus", "Hal", "Ida", "Jon"]
    for k, name in enumerate(names):
        pid = add(book, clock, name, on=date(2024, 1, 1))
        revenue = "500" if k < 3 else str(100 - k)  # Carl, adam and Bea tie at the top
        book.record_purchase(pid, revenue, cost="0", on=date(2025, 5, 1))
    for name, revenue, cost in (("Zero", "50", "50"), ("Loss", "10", "40")):
        pid = add(book, clock, name, on=date(2024, 1, 1))
        book.record_purchase(pid, revenue, cost=cost, on=date(2025, 5, 1))
    gone = add(book, clock, "Gone", on=date(2024, 1, 1))
    book.record_purchase(gone, "900", on=date(2025, 5, 1))
    book.defect(gone, "moved", on=date(2025, 9, 1))
    m = compute_metrics(book, *Y2025)
    assert {t.name: t.count for t in m.pyramid} == {"platinum": 1, "gold": 2, "iron": 7, "lead": 2}
    assert m.tier("lead").profit == Decimal("-30.00")
    assert m.tier("platinum").share == pytest.approx(500 / (1500 + sum(100 - k for k in range(3, 10)) - 30))
    assert [r.name for r in drill_down("pyramid:platinum", book, *Y2025).rows] == ["adam"]
    assert [r.name for r in drill_down("pyramid:gold", book, *Y2025).rows] == ["Bea", "Carl"]
    assert [r.name for r in drill_down("pyramid:lead", book, *Y2025).rows] == ["Zero", "Loss"]
    assert m.pyramid_members == 12  # Gone bought but had left by the end


def test_pareto_example(book, clock):
    for k, revenue in enumerate(("100", "50", "20", "20", "10")):
        pid = add(book, clock, f"Buyer {k}", on=date(2024, 1, 1))
        book.record_purchase(pid, revenue, on=date(2025, 5, 1))
    m = compute_metrics(book, *Y2025)
    assert (m.pareto.value, m.pareto.base, m.pareto_top) == (0.5, 5, 1)
    assert m.profit_per_party.value == Decimal("40.00")


def test_feedback_mean_and_nps(book, clock):
    pid = add(book, clock, "Critic", on=date(2024, 1, 1))
    for score in (10, 9, 8, 7, 6, 0):
        book.record_feedback(pid, score, on=date(2025, 5, 1))
    book.record_feedback(pid, 0, on=date(2024, 5, 1))  # before the period
    m = compute_metrics(book, *Y2025)
    assert (m.nps.value, m.nps.base, m.promoters, m.detractors) == (0.0, 6, 2, 2)
    assert m.mean_feedback.value == pytest.approx(40 / 6)


def test_lost_profit_is_the_last_twelve_months(book, clock):
    pid = add(book, clock, "Leaver", on=date(2023, 1, 1))
    book.record_purchase(pid, "999", on=date(2024, 2, 1))  # 13 months before: not counted
    book.record_purchase(pid, "200", cost="50", on=date(2024, 9, 1))
    book.record_purchase(pid, "70", on=date(2024, 3, 1))  # exactly a year before: counted
    book.defect(pid, "price", on=date(2025, 3, 1))
    m = compute_metrics(book, *Y2025)
    price = next(d for d in m.defections if d.reason == "price")
    assert (price.count, price.lost_profit, m.lost_profit) == (1, Decimal("220.00"), Decimal("220.00"))
    assert metrics_to_json(m)["defections_by_reason"]["price"] == 1


def test_keeping_in_touch(book, clock):
    pid = add(book, clock, "Busy", on=date(2024, 1, 1), cadence=30)
    book.record_purchase(pid, "10", on=date(2024, 2, 1))
    book.log_interaction(pid, "Call", at=datetime(2025, 10, 1, 9))
    calm = add(book, clock, "Calm", on=date(2024, 1, 1), cadence=120)
    book.record_purchase(calm, "10", on=date(2024, 2, 1))
    book.log_interaction(calm, "Call", at=datetime(2025, 10, 1, 9))
    clock.set(date(2025, 9, 1))
    overdue = book.schedule_follow_up(pid, date(2025, 11, 1), "Send the offer")
    early = book.schedule_follow_up(pid, date(2025, 12, 1), "Check in")
    late = book.schedule_follow_up(pid, date(2025, 10, 1), "Ask for feedback")
    later = book.schedule_follow_up(pid, date(2026, 1, 5), "Done after the period")
    clock.set(date(2026, 1, 15))
    book.complete_follow_up(early, on=date(2025, 11, 20))
    book.complete_follow_up(late, on=date(2025, 10, 5))
    book.complete_follow_up(later, on=date(2026, 1, 10))
    m = compute_metrics(book, *Y2025)
    assert (m.overdue_follow_ups.value, m.overdue_follow_ups.base) == (1, 2)  # `later` was open, not due
    assert (m.on_time.value, m.on_time.base) == (0.5, 2)
    assert (m.past_cadence.value, m.past_cadence.base) == (1, 2)
    rows = drill_down("past_cadence", book, *Y2025).rows
    assert [(r.name, r.value) for r in rows] == [("Busy", 61)]  # 91 days since, cadence 30
    assert overdue


def test_referrals(book, clock):
    sponsor = add(book, clock, "Sponsor", on=date(2024, 1, 1))
    add(book, clock, "Friend", on=date(2025, 3, 1), referred_by=sponsor)
    add(book, clock, "Old friend", on=date(2024, 3, 1), referred_by=sponsor)
    add(book, clock, "Walk-in", on=date(2025, 3, 1))
    m = compute_metrics(book, *Y2025)
    assert (m.referrals.value, m.referrals.base) == (1, 2)
    assert [r.value for r in drill_down("referrals", book, *Y2025).rows] == ["Sponsor"]


def test_ladder_now_and_at_the_start(book, clock):
    a = add(book, clock, "A", on=date(2024, 1, 1))
    b = add(book, clock, "B", on=date(2024, 1, 1))
    c = add(book, clock, "C", on=date(2025, 6, 1))
    book.move_rung(a, "customer", on=date(2024, 6, 1))
    book.move_rung(a, "client", on=date(2025, 4, 1))
    book.move_rung(b, "customer", on=date(2024, 6, 1))
    book.move_rung(b, "prospect", on=date(2025, 4, 1))
    book.move_rung(c, "customer", on=date(2025, 7, 1))
    m = compute_metrics(book, *Y2025)
    counts = {r.rung.value: (r.at_start, r.at_end) for r in m.ladder}
    assert counts["customer"] == (2, 1) and counts["client"] == (0, 1) and counts["prospect"] == (0, 1)
    assert (m.rung("customer").climbed.value, m.rung("customer").climbed.base) == (0.5, 2)
    assert m.rung("prospect").climbed.value is None  # nobody stood there at the start
    assert m.rung("partner").climbed.value is None  # nowhere to climb
    assert (m.climbs, m.falls) == (2, 1)
    ladder = drill_down("ladder:client", book, *Y2025).rows
    assert [(r.name, r.note) for r in ladder] == [("A", "was customer")]


def test_segments_split_by_kind(book, clock):
    shop = add(book, clock, "Shop Ltd", on=date(2024, 1, 1), kind="business")
    person = add(book, clock, "Pat", on=date(2024, 1, 1))
    book.record_purchase(shop, "100", on=date(2024, 2, 1))
    book.record_purchase(person, "10", on=date(2024, 2, 1))
    book.defect(person, "price", on=date(2025, 2, 1))
    assert compute_metrics(book, *Y2025, "b2b").retention.value == 1.0
    assert compute_metrics(book, *Y2025, "b2c").retention.value == 0.0
    assert compute_metrics(book, *Y2025, "all").retention.value == 0.5
    with pytest.raises(InvalidInput):
        compute_metrics(book, *Y2025, "vip")


def test_monthly_series(book, clock):
    retention_book(book, clock, active=3, leaving=1, new=1)
    m = compute_metrics(book, *Y2025)
    assert [p.month.month for p in m.months] == list(range(1, 13))
    assert [p.active for p in m.months][:3] == [3, 3, 2]  # one left on 1 March
    assert m.months[4].revenue == Decimal("300.00") and m.months[5].active == 3  # new one bought in June
    assert sum(p.defections for p in m.months) == 1


def test_json_keys_are_stable(book, clock):
    retention_book(book, clock)
    data = metrics_to_json(compute_metrics(book, *Y2025))
    for key in ("period", "segment", "retention_rate", "churn_rate", "average_lifetime_years", "clv",
                "pareto_share", "ror", "repeat_purchase_rate", "referrals", "mean_feedback", "nps",
                "pyramid", "ladder", "defections_by_reason", "overdue_follow_ups", "past_cadence", "base"):
        assert key in data
    assert data["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert data["retention_rate"] == 0.8 and data["base"]["retention_rate"] == 50
    assert data["clv"] == 266.67 and data["average_lifetime_years"] == 5.0
    assert set(data["ladder"]) == {"prospect", "customer", "client", "supporter", "advocate", "partner"}


def test_drill_down_refuses_unknown_figures(book):
    for bad in ("happiness", "pyramid:diamond", "retention:x", "ladder:king"):
        with pytest.raises(InvalidInput):
            drill_down(bad, book)
    assert drill_down("clv", book).definition.startswith("CLV")


# -- properties ------------------------------------------------------------------------------------

PARTY = st.fixed_dictionaries({
    "b2b": st.booleans(),
    "buys": st.lists(st.tuples(st.integers(0, 700), st.integers(-50, 500), st.integers(0, 300)),
                     max_size=4),
    "defect": st.none() | st.tuples(st.integers(0, 700), st.none() | st.integers(0, 300)),
    "talk": st.lists(st.integers(0, 700), max_size=2),
    "scores": st.lists(st.integers(0, 10), max_size=2),
})
ORIGIN = date(2024, 1, 1)
TODAY = date(2026, 1, 1)


def _build(svc: Services, clock: Clock, parties: list[dict]) -> None:
    for k, spec in enumerate(parties):
        pid = add(svc, clock, f"P{k:02d}", on=ORIGIN, kind="business" if spec["b2b"] else "customer")
        for day, revenue, cost in spec["buys"]:
            svc.record_purchase(pid, str(revenue), cost=str(cost), on=ORIGIN + timedelta(days=day))
        for day in spec["talk"]:
            svc.log_interaction(pid, "Call", at=datetime.combine(ORIGIN + timedelta(days=day), time(9)))
        for score in spec["scores"]:
            svc.record_feedback(pid, score, on=date(2025, 6, 1))
        if spec["defect"]:
            day, back = spec["defect"]
            svc.defect(pid, "price", on=ORIGIN + timedelta(days=day))
            if back is not None:
                svc.win_back(pid, on=min(TODAY, ORIGIN + timedelta(days=day + back)))


def _fresh(tmp: Path) -> tuple[Services, Clock]:
    clock = Clock(TODAY)
    return Services(open_store(tmp / "book.db"), clock=clock), clock


PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(PARTY, max_size=8), st.sampled_from(["all", "b2c", "b2b"]))
def test_figures_stay_in_range(parties, segment):
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        svc, clock = _fresh(Path(tmp))
        try:
            _build(svc, clock, parties)
            m = compute_metrics(svc, *Y2025, segment)
            for figure in (m.retention, m.churn, m.annual_retention, m.pareto, m.ror,
                           m.repeat_purchase, m.on_time, *(r.climbed for r in m.ladder)):
                assert figure.value is None or 0 <= figure.value <= 1
            for figure in (m.retention, m.churn, m.ror, m.repeat_purchase, m.on_time):
                assert (figure.value is None) == (figure.base == 0)  # n/a exactly when nothing to rest on
            assert m.nps.value is None or -1 <= m.nps.value <= 1
            assert m.mean_feedback.value is None or 0 <= m.mean_feedback.value <= 10
            # the pyramid: every party active at the end that bought, once; a profit in the top three
            members = drill_down("pyramid", svc, *Y2025, segment, limit=1000).rows
            assert len(members) == m.pyramid_members == sum(t.count for t in m.pyramid)
            assert len({r.party_id for r in members}) == len(members)
            for row in members:
                assert (row.value > 0) == (row.note != "lead")
            assert m.pyramid_members <= m.buyers and m.pyramid_members <= m.active_end
            # lifetime = 1 / (1 - r) over a one-year period
            if m.retention.value is not None and m.retention.value < 1:
                assert m.lifetime.value == pytest.approx(1 / (1 - m.retention.value))
            else:
                assert m.lifetime.value is None
        finally:
            svc.store.close()


@PROPERTY
@given(st.lists(PARTY, max_size=6), st.lists(st.tuples(st.integers(367, 729), st.integers(1, 300)),
                                            min_size=1, max_size=4))
def test_customers_won_in_the_period_leave_retention_alone(parties, newcomers):
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        svc, clock = _fresh(Path(tmp))
        try:
            _build(svc, clock, parties)
            before = compute_metrics(svc, *Y2025)
            for k, (day, revenue) in enumerate(newcomers):
                pid = add(svc, clock, f"Newcomer {k}", on=ORIGIN + timedelta(days=day))
                svc.record_purchase(pid, str(revenue), on=ORIGIN + timedelta(days=day))
            after = compute_metrics(svc, *Y2025)
            assert (after.retention, after.churn, after.lifetime, after.clv) == \
                (before.retention, before.churn, before.lifetime, before.clv)
            assert after.won == before.won + len(newcomers)
        finally:
            svc.store.close()


def test_parallel_reads_give_the_same_figures_and_fall_back_after_a_write(book, clock, monkeypatch):
    import reltui.services.metrics as metrics_module
    from reltui.sample import generate

    generate(book.store, parties=200, seed=5, today=date(2026, 1, 15))

    def figures() -> dict:
        result = metrics_to_json(compute_metrics(book, segment="b2c"))
        result.pop("seconds", None)
        return result

    monkeypatch.setattr(metrics_module, "PARALLEL_READS", 1)
    one = figures()
    monkeypatch.setattr(metrics_module, "PARALLEL_READS", 2)
    assert figures() == one
    # a write between the two connections' snapshots: the answer is read again, whole
    calls = []
    original = metrics_module.q.money_by_month

    def write_meanwhile(*args, **kwargs):
        if not calls:
            book.record_purchase(book.list_parties(limit=1)[0].id, "1000", on=date(2026, 1, 10))
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics_module.q, "money_by_month", write_meanwhile)
    after = figures()
    assert len(calls) == 2  # the parallel read, then the single-transaction one
    assert after["revenue"] == one["revenue"] + 1000


@pytest.mark.parametrize("segment", ["all", "b2b"])
@pytest.mark.parametrize("end", [date(2026, 1, 15), date(2025, 1, 15)])  # up to today, in the past
def test_the_cards_alone_are_the_same_figures(book, segment, end):
    """charts=False (the Metrics screen's previous period): every figure a card shows is the
    full computation's; only the charts' parts are left out."""
    from reltui.sample import generate
    from reltui.tui.screens.metrics import CARDS, card_figure

    generate(book.store, parties=200, seed=5, today=date(2026, 1, 15))
    start = end - timedelta(days=364)
    full = compute_metrics(book, start, end, segment)
    cards = compute_metrics(book, start, end, segment, charts=False)
    assert full.charted and not cards.charted
    assert (cards.pyramid, cards.ladder, cards.months) == ((), (), ())
    assert full.pyramid and full.ladder and full.months
    assert [card_figure(cards, c.key) for c in CARDS] == [card_figure(full, c.key) for c in CARDS]
    assert cards.lost_profit == full.lost_profit


@pytest.mark.sqlite_only  # reads SQLite's query plans
@pytest.mark.parametrize("segment", ["all", "b2c"])
def test_follow_up_and_step_counts_read_indexes_alone(store, segment):
    """Schema 4's indexes carry every column these counts read: no table row is fetched
    per follow-up or per step (EXPLAIN QUERY PLAN says COVERING INDEX for each)."""
    from sqlalchemy import event

    import reltui.store.metric_queries as q

    statements = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if "follow_up" in statement or "rung_step" in statement:
            statements.append((statement, parameters))

    with store.read() as conn, q.segment_scope(conn, segment):
        event.listen(store.engine, "before_cursor_execute", seen)
        try:
            for today in (date(2026, 1, 15), date(2027, 1, 1)):  # a period ending today, a past one
                q.follow_up_figures(conn, *Y2025, segment, today)
            q.step_figures(conn, *Y2025, segment)
        finally:
            event.remove(store.engine, "before_cursor_execute", seen)
        plans = [conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
                 for sql, params in statements]
    reads = [row[3] for plan in plans for row in plan
             if row[3].startswith(("SEARCH f ", "SCAN f ", "SEARCH st ", "SCAN st "))]
    # three follow-up scans per call, and a segment's steps (the whole book's: in day_total)
    assert len(reads) == (6 if segment == "all" else 7)
    assert all("COVERING INDEX" in read for read in reads), reads


def test_the_day_totals_keep_up_with_every_write(book):
    """Schema 7's day_total, kept by triggers, always equals the sums of the purchases and
    rung steps it stands for: after a bulk load, single writes, and a party's deletion
    (whose purchases and steps go with it)."""
    from reltui.sample import generate

    generate(book.store, parties=80, seed=3, today=date(2026, 1, 15))

    def totals() -> tuple[dict, dict]:
        kept = {str(r[0]): tuple(r[1:]) for r in book.store.rows(
            "SELECT on_date, revenue_cents, cost_cents, purchases, steps, climbs FROM day_total"
            " WHERE purchases <> 0 OR steps <> 0")}
        money = {str(r[0]): (r[1], r[2], r[3], 0, 0) for r in book.store.rows(
            "SELECT on_date, sum(revenue_cents), coalesce(sum(cost_cents), 0), count(*) FROM purchase"
            " GROUP BY on_date")}
        levels = "prospect customer client supporter advocate partner".split()
        for day, start, to in book.store.rows(
                "SELECT on_date, from_rung, to_rung FROM rung_step WHERE from_rung IS NOT NULL"):
            rev, cost, n, steps, climbs = money.get(str(day), (0, 0, 0, 0, 0))
            money[str(day)] = (rev, cost, n, steps + 1, climbs + (levels.index(start) < levels.index(to)))
        return kept, money

    kept, counted = totals()
    assert kept == counted and len(kept) > 100
    first = book.list_parties(limit=1)[0].id
    # the party with the most purchases, and rung steps too, goes with them
    second = book.store.rows("SELECT b.party_id FROM purchase b WHERE EXISTS (SELECT 1 FROM rung_step s"
                             " WHERE s.party_id = b.party_id AND s.from_rung IS NOT NULL) AND b.party_id <> :f"
                             " GROUP BY b.party_id ORDER BY count(*) DESC LIMIT 1", {"f": first})[0][0]
    book.record_purchase(first, "12.50", cost="2", on=date(2025, 6, 1))
    book.record_purchase(first, "-3", on=date(2025, 6, 1))  # a refund, no cost known
    book.move_rung(first, "partner", on=date(2025, 6, 2))
    book.move_rung(first, "prospect", on=date(2025, 6, 2))
    book.delete_party(second)
    kept, counted = totals()
    assert kept == counted
    assert kept["2025-06-02"][3:] >= (2, 1)


def test_a_bulk_load_that_fails_leaves_the_day_totals_kept(book, clock):
    """day_totals_at_the_end sets the triggers aside inside the load's transaction: when the
    load fails, they come back with the rollback, and the next write is counted."""
    from reltui.store import rollups

    pid = add(book, clock, "Ada", on=date(2025, 1, 1))
    with pytest.raises(RuntimeError), book.store.write() as conn, rollups.day_totals_at_the_end(conn):
        conn.exec_driver_sql("INSERT INTO purchase (party_id, on_date, revenue_cents) "
                             f"VALUES ({pid}, '2025-05-05', 700)")
        raise RuntimeError("the load stops half way")
    book.record_purchase(pid, "3", on=date(2025, 5, 5))
    assert [tuple(r) for r in book.store.rows(
        "SELECT revenue_cents, purchases FROM day_total WHERE purchases <> 0")] == [(300, 1)]


@pytest.mark.sqlite_only  # reads SQLite's query plans
def test_party_counts_over_every_party_read_indexes_not_every_party(book):
    """Schema 7: over the whole book the party counts are index ranges, for a past period
    and one ending today (its loyal parties in ix_party_loyal); a period's first-time
    buyers come from ix_party_first_purchase alone."""
    from sqlalchemy import event

    import reltui.store.metric_queries as q
    from reltui.sample import generate

    generate(book.store, parties=60, seed=5, today=date(2026, 1, 15))
    steps = []

    def seen(_conn, cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if statement.lstrip().startswith(("SELECT", "WITH")):  # planned as it runs (temp tables)
            steps.extend(row[3] for row in cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}",
                                                                      parameters))

    def plans(run) -> list[str]:  # noqa: ANN001
        steps.clear()
        with book.store.read() as conn:
            event.listen(book.store.engine, "before_cursor_execute", seen)
            try:
                run(conn)
            finally:
                event.remove(book.store.engine, "before_cursor_execute", seen)
        return list(steps)

    def passes(steps: list[str]) -> list[str]:
        return [s for s in steps if re.match(r"SCAN (p|party)\b", s) and "INDEX" not in s]

    today = (date(2025, 1, 16), date(2026, 1, 15))
    past = (date(2024, 1, 16), date(2025, 1, 15))
    assert passes(plans(lambda c: q.party_figures(c, *past, "all", [past[1]]))) == []
    now = plans(lambda c: q.party_figures(c, *today, "all", [today[1]]))
    assert passes(now) == [] and any("ix_party_loyal" in s for s in now), now
    buyers = plans(lambda c: q.buyer_figures(c, *today, "all", platinum=Fraction(1, 10),
                                             gold=Fraction(1, 5), top=Fraction(1, 5)))
    assert any("COVERING INDEX ix_party_first_purchase (first_purchase_on>? AND first_purchase_on<?)" in s
               for s in buyers), buyers
    assert passes(buyers) == []


def test_past_cadence_counts_whole_days_whatever_the_time_of_day(book, clock):
    """Days past cadence are whole days from the last contact's day to the end: a contact at
    23:59 counts as its day, not as the day after (the SQL compares day numbers of moments)."""
    contacts = {"Late evening": datetime(2025, 12, 1, 23, 59, 59, 999999),  # 30 days: not past
                "Midnight": datetime(2025, 12, 1, 0, 0),  # 30 days: not past
                "Day before": datetime(2025, 11, 30, 23, 59, 59)}  # 31 days: past by 1
    for name, at in contacts.items():
        pid = add(book, clock, name, on=date(2024, 1, 1), cadence=30)
        book.record_purchase(pid, "10", on=date(2024, 2, 1))
        book.log_interaction(pid, "Call", at=at)
    m = compute_metrics(book, *Y2025)
    assert (m.past_cadence.value, m.past_cadence.base) == (1, 3)
    rows = drill_down("past_cadence", book, *Y2025).rows
    assert [(r.name, r.value) for r in rows] == [("Day before", 1)]


def test_buyers_of_a_period_ending_today_agree_with_summing_every_purchase(book, clock, monkeypatch):
    """With no purchase after the end, the buyers' figures take each new buyer's totals from
    its rollup columns; they must equal those of summing the period's purchases one by one
    (the general way, forced here), for every segment and owner, first purchase on the
    start day, defected and won-back buyers included."""
    import reltui.services.metrics as metrics_module
    from reltui.sample import generate

    generate(book.store, parties=300, seed=3, today=date(2026, 1, 15))
    start = date(2025, 1, 16)  # the default period: the 12 months ending today
    edge = add(book, clock, "Starts on the first day", on=date(2024, 6, 1))
    book.record_purchase(edge, "40", cost="15", on=start)
    book.record_purchase(edge, "25", on=date(2025, 8, 1))
    gone = add(book, clock, "Gone on the first day", on=date(2024, 6, 1))
    book.record_purchase(gone, "70", cost="10", on=start)
    book.defect(gone, "price", on=start)
    back = add(book, clock, "Won back", on=date(2024, 6, 1))
    book.record_purchase(back, "90", cost="95", on=date(2024, 7, 1))
    book.defect(back, "service", on=date(2024, 12, 1))
    book.win_back(back, on=date(2025, 3, 1))
    book.record_purchase(back, "30", on=date(2025, 4, 1))
    for pid in (edge, gone):
        book.assign_owner(pid, "Maya")

    real_all_in = metrics_module.q._all_in
    taken = []

    def spy(conn, end):
        taken.append(real_all_in(conn, end))
        return taken[-1]

    def figures(segment: str, owner: str | None) -> dict:
        result = metrics_to_json(compute_metrics(book, segment=segment, owner=owner))
        assert result["period"]["from"] == start.isoformat()
        return result

    owners = [None, "", "Maya"]
    for segment in ("all", "b2c", "b2b"):
        for owner in owners:
            monkeypatch.setattr(metrics_module.q, "_all_in", spy)
            fast = figures(segment, owner)
            assert taken and all(taken), "a period ending today takes the rollups"
            taken.clear()
            monkeypatch.setattr(metrics_module.q, "_all_in", lambda conn, end: 0)
            assert figures(segment, owner) == fast, (segment, owner)
    m = compute_metrics(book)
    assert m.buyers > 100 and m.tier("platinum").count > 0 and m.lost > 0
    platinum = drill_down("pyramid:platinum", book, limit=10_000)
    assert platinum.total == m.tier("platinum").count
    assert sum(r.value for r in platinum.rows) == m.tier("platinum").profit
