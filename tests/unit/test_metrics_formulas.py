"""The pure metric formulas (reltui.domain.metrics): DOMAIN.md's worked examples and rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reltui.domain import metrics as fm
from reltui.domain.errors import InvalidInput
from reltui.domain.metrics import Figure, Period


def test_lifetime_examples():
    assert fm.average_lifetime(Fraction(4, 5)) == 5  # 80% -> 5 years
    assert fm.average_lifetime(Fraction(9, 10)) == 10  # 90% -> 10 years: ten points double it
    assert fm.average_lifetime(Fraction(0)) == 1


def test_lifetime_is_na_when_nobody_leaves():
    assert fm.average_lifetime(Fraction(1)) is None
    assert fm.average_lifetime(None) is None


def test_clv_example():
    value = fm.clv(Fraction(10000), Fraction(4, 5), Fraction(1, 10))  # m = 100.00 in cents
    assert fm.money(value) == Decimal("266.67")


def test_clv_needs_a_positive_denominator():
    assert fm.clv(Fraction(10000), Fraction(1), Fraction(0)) is None  # i = 0, r = 1
    assert fm.money(fm.clv(Fraction(10000), Fraction(1), Fraction(1, 10))) == Decimal("1000.00")
    assert fm.clv(None, Fraction(4, 5), Fraction(1, 10)) is None


def test_ratio_is_exact_and_na_on_nothing():
    assert fm.ratio(40, 50) == Fraction(4, 5)
    assert float(fm.ratio(15, 40)) == 0.375
    assert fm.ratio(0, 0) is None
    assert fm.rate(0, 0) == Figure(None, 0)
    assert fm.rate(0, 7) == Figure(0.0, 7)  # a real zero, with its base


def test_nps():
    assert fm.nps(2, 2, 6) == 0
    assert fm.nps(3, 0, 3) == 1
    assert fm.nps(0, 4, 4) == -1
    assert fm.nps(0, 0, 0) is None


def test_annualise():
    year = Period(date(2025, 1, 1), date(2025, 12, 31))
    assert fm.annualise(Fraction(4, 5), year) == Fraction(4, 5)
    leap_year = Period(date(2028, 1, 1), date(2028, 12, 31))  # 366 days, still one year
    assert leap_year.days == 366 and fm.annualise(Fraction(4, 5), leap_year) == Fraction(4, 5)
    quarter = Period(date(2025, 1, 1), date(2025, 3, 31))  # 90 days
    assert fm.annualise(Fraction(9, 10), quarter) == pytest.approx(0.9 ** (365 / 90))
    assert fm.annualise(None, quarter) is None


def test_yearly_margin_scales_to_a_year():
    half = Period(date(2025, 1, 1), date(2025, 7, 1))  # 182 days
    assert fm.yearly_margin(18200, 2, half) == Fraction(18200, 2) * Fraction(365, 182)
    assert fm.yearly_margin(500, 0, half) is None


def test_pyramid_split():
    assert fm.pyramid_split(10) == (1, 2, 7)
    assert fm.pyramid_split(30) == (3, 6, 21)  # exact: ceil(30 * 10%) is 3, not 4
    assert fm.pyramid_split(1) == (1, 0, 0)
    assert fm.pyramid_split(2) == (1, 1, 0)
    assert fm.pyramid_split(0) == (0, 0, 0)
    assert fm.pyramid_split(100, Fraction(1, 4), Fraction(1, 4)) == (25, 25, 50)
    assert [fm.tier_of(k, 10) for k in (1, 2, 3, 4, 10)] == ["platinum", "gold", "gold", "iron", "iron"]


@given(st.integers(0, 5000), st.fractions(0, 1), st.fractions(0, 1))
def test_pyramid_split_covers_everyone(n, platinum, gold):
    top, second, rest = fm.pyramid_split(n, platinum, gold)
    assert top + second + rest == n and min(top, second, rest) >= 0
    assert top == min(n, -(-n * platinum.numerator // platinum.denominator))


def test_pareto_count():
    assert [fm.pareto_count(n) for n in (0, 1, 5, 6, 10)] == [0, 1, 1, 2, 2]


def test_default_period_is_twelve_months_ending_today():
    p = fm.default_period(date(2026, 11, 22))
    assert (p.start, p.end, p.days, p.years) == (date(2025, 11, 23), date(2026, 11, 22), 365, 1)
    leap = fm.default_period(date(2028, 2, 29))
    assert leap.start == date(2027, 3, 1) and leap.whole_months == 12


def test_period_shifts():
    p = fm.default_period(date(2026, 11, 22))
    assert p.previous() == Period(date(2024, 11, 23), date(2025, 11, 22))
    assert p.next() == Period(date(2026, 11, 23), date(2027, 11, 22))
    three = Period.last_months(date(2026, 11, 22), 3)
    assert three == Period(date(2026, 8, 23), date(2026, 11, 22))
    assert three.previous() == Period(date(2026, 5, 23), date(2026, 8, 22))
    ytd = Period.year_to_date(date(2026, 11, 22))
    assert ytd.previous() == Period(date(2025, 1, 1), date(2025, 11, 22))
    odd = Period(date(2026, 1, 10), date(2026, 1, 19))
    assert odd.previous() == Period(date(2025, 12, 31), date(2026, 1, 9))


def test_period_refuses_an_end_before_its_start():
    with pytest.raises(InvalidInput):
        Period(date(2026, 2, 1), date(2026, 1, 31))


def test_months_are_clipped_to_the_period():
    months = Period(date(2025, 11, 23), date(2026, 1, 10)).months()
    assert months == [(date(2025, 11, 23), date(2025, 11, 30)), (date(2025, 12, 1), date(2025, 12, 31)),
                      (date(2026, 1, 1), date(2026, 1, 10))]


def test_year_before_leap_day():
    assert fm.year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert fm.year_before(date(2026, 3, 10)) == date(2025, 3, 10)


def test_money_rounds_half_up_once():
    assert fm.money(26666.666666666664) == Decimal("266.67")
    assert fm.money(Fraction(1, 2)) == Decimal("0.01")  # half a cent rounds up
    assert fm.money(-150) == Decimal("-1.50")
    assert fm.money(None) is None


def test_display_texts():
    assert fm.rate_text(Figure(0.8, 50)) == "80% of 50"
    assert fm.rate_text(Figure(0.375, 40)) == "37.5% of 40"
    assert fm.rate_text(Figure(None, 0)) == "n/a (none to rest on)"
    assert fm.percent_text(None) == "n/a"
    assert fm.percent_text(2 / 3) == "66.7%"
    assert fm.nps_text(-1 / 3) == "-33" and fm.nps_text(0.5) == "+50" and fm.nps_text(None) == "n/a"
    assert fm.years_text(5.0) == "5.0 years" and fm.years_text(None) == "n/a"


def test_parse_share():
    assert fm.parse_share("10%", "x") == Fraction(1, 10)
    assert fm.parse_share("0.10", "x") == Fraction(1, 10)
    assert fm.parse_share(0.25, "x") == Fraction(1, 4)
    for bad in ("ten", "150%", "-0.1", "nan", "inf"):
        with pytest.raises(InvalidInput):
            fm.parse_share(bad, "x")
    with pytest.raises(InvalidInput):
        fm.check_cutoffs(Fraction(3, 5), Fraction(1, 2))


def test_every_figure_has_a_definition():
    for key in ("retention", "churn", "lifetime", "clv", "pyramid", "pareto", "ror",
                "repeat_purchase", "referrals", "mean_feedback", "nps", "ladder",
                "overdue_follow_ups", "on_time", "past_cadence", "defections"):
        title, text = fm.definition(key)
        assert title and len(text) > 30
    assert fm.definition("pyramid:gold")[0] == "Customer pyramid"
    with pytest.raises(InvalidInput):
        fm.definition("happiness")
