"""The metric formulas of DOMAIN.md "Metrics": pure arithmetic, no I/O.

The database gives counts and sums of cents; these functions turn them into
the figures a manager reads.  The rules every figure follows:

- A figure carries the count it rests on (its *base*).  With nothing to rest
  on (a base of 0, a division by zero, an unbounded lifetime) the value is
  None, shown as "n/a": never 0, never infinity, never an error.
- Rates are fractions from 0 to 1 computed from the integer counts (40/50,
  never 1 - 0.2), so 80% is exactly 0.8; NPS is from -1 to 1.
- Money is integer cents inside; a money figure is rounded half-up to the
  cent once, at the end (`money`), never in between.
- For display, a percentage keeps one decimal place and drops a trailing ".0"
  ("80%", "37.5%"); years keep one decimal place.
- A period is `Period(start, end)`, both days included.  One calendar year
  (start = end - 1 year + 1 day) counts as exactly one year, leap day or not;
  any other period counts as days/365 years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from reltui.domain.errors import InvalidInput

CENT = Decimal("0.01")
DEFAULT_DISCOUNT_RATE = Fraction(1, 10)
DEFAULT_PLATINUM = Fraction(1, 10)
DEFAULT_GOLD = Fraction(1, 5)
PARETO_TOP = Fraction(1, 5)
TIERS = ("platinum", "gold", "iron", "lead")
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
# settings keys (the `setting` table) that the metrics read
SETTING_DISCOUNT_RATE = "discount_rate"
SETTING_PLATINUM = "pyramid_platinum"
SETTING_GOLD = "pyramid_gold"


# -- periods --------------------------------------------------------------------------------------

def year_before(day: date) -> date:
    """The same day a year earlier; 29 February falls back to 28 February."""
    return day - relativedelta(years=1)


def months_before(day: date, months: int) -> date:
    return day - relativedelta(months=months)


@dataclass(frozen=True, order=True)
class Period:
    """A span of days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                f"The period must start on or before its end ({self.start} is after {self.end})."
            )

    @classmethod
    def last_months(cls, end: date, months: int = 12) -> "Period":
        """The `months` months ending on `end`: 12 gives end - 1 year + 1 day .. end."""
        return cls(months_before(end, months) + timedelta(days=1), end)

    @classmethod
    def year_to_date(cls, end: date) -> "Period":
        return cls(date(end.year, 1, 1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> int | None:
        """N when the period is exactly the N months ending on its end, else None."""
        guess = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        for n in (guess - 1, guess, guess + 1):
            if n >= 1 and months_before(self.end, n) + timedelta(days=1) == self.start:
                return n
        return None

    @property
    def years(self) -> Fraction:
        """How many years the period counts as: 1 for one calendar year, else days/365."""
        if self.whole_months == 12:
            return Fraction(1)
        return Fraction(self.days, 365)

    def shifted(self, steps: int) -> "Period":
        """The period `steps` lengths later (negative: earlier), keeping its length.

        A period of whole months moves by whole months (the 12 months ending 22 Nov
        become the 12 months ending 22 Nov a year before; January to March becomes
        October to December); any other year to date moves to the same span of another
        year; any other period by its number of days.
        """
        months = self.whole_months
        if months is not None:
            end = self.end + relativedelta(months=months * steps)
            return Period(months_before(end, months) + timedelta(days=1), end)
        if self.start == date(self.end.year, 1, 1):  # year to date: the same span another year
            end = self.end + relativedelta(years=steps)
            return Period(date(end.year, 1, 1), end)
        delta = timedelta(days=self.days * steps)
        return Period(self.start + delta, self.end + delta)

    def previous(self) -> "Period":
        return self.shifted(-1)

    def next(self) -> "Period":
        return self.shifted(1)

    def months(self) -> list[tuple[date, date]]:
        """The calendar months the period touches, each clipped to the period."""
        spans = []
        first = self.start.replace(day=1)
        while first <= self.end:
            last = first + relativedelta(months=1) - timedelta(days=1)
            spans.append((max(first, self.start), min(last, self.end)))
            first = last + timedelta(days=1)
        return spans

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def default_period(today: date) -> Period:
    """DOMAIN.md: the 12 months ending today."""
    return Period.last_months(today, 12)


# -- figures --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """A value with the count it rests on; value None means n/a."""

    value: float | Decimal | int | None
    base: int

    @property
    def available(self) -> bool:
        return self.value is not None


Number = Fraction | float


def ratio(part: int, whole: int) -> Fraction | None:
    """part / whole exactly, or None when there is nothing to divide by."""
    if not whole:
        return None
    return Fraction(part, whole)


def as_float(value: Number | None) -> float | None:
    return None if value is None else float(value)


def rate(part: int, whole: int) -> Figure:
    return Figure(as_float(ratio(part, whole)), whole)


def annualise(r: Number | None, period: Period) -> Number | None:
    """r_year = r ** (365 / days); a one-year period keeps r as it is (exactly)."""
    if r is None:
        return None
    years = period.years
    if years == 1:
        return r
    return float(r) ** float(1 / years)


def average_lifetime(r_year: Number | None) -> Number | None:
    """1 / (1 - r_year) years; None (unbounded) when r_year is 1, or unknown."""
    if r_year is None or r_year >= 1:
        return None
    return 1 / (1 - r_year)


def clv(m: Number | None, r_year: Number | None, discount_rate: Number) -> Number | None:
    """Gupta and Lehmann: CLV = m * r / (1 + i - r); None when any input is unknown
    or the denominator is not positive (i = 0 and r = 1: no finite value)."""
    if m is None or r_year is None:
        return None
    denominator = 1 + discount_rate - r_year
    if denominator <= 0:
        return None
    return m * r_year / denominator


def yearly_margin(profit_cents: int, parties: int, period: Period) -> Fraction | None:
    """m in cents: the parties' profit over the period per party, scaled to one year."""
    if not parties:
        return None
    return Fraction(profit_cents, parties) / period.years


def nps(promoters: int, detractors: int, scores: int) -> Fraction | None:
    """Net Promoter Score from -1 to 1: share of 9-10 minus share of 0-6."""
    if not scores:
        return None
    return Fraction(promoters - detractors, scores)


def ceil_share(count: int, share: Fraction) -> int:
    """ceil(count * share), exactly (no floating-point surprises: ceil(30 * 10%) is 3)."""
    return math.ceil(Fraction(count) * share)


def pyramid_split(positive: int, platinum: Fraction = DEFAULT_PLATINUM,
                  gold: Fraction = DEFAULT_GOLD) -> tuple[int, int, int]:
    """How many of `positive` parties (ranked by profit, best first) are platinum, gold, iron.

    Platinum: the first ceil(platinum * n); gold: the next ceil(gold * n), as far
    as there are parties left; iron: the remainder.
    """
    top = min(positive, ceil_share(positive, platinum))
    second = min(positive - top, ceil_share(positive, gold))
    return top, second, positive - top - second


def tier_of(rank: int, positive: int, platinum: Fraction = DEFAULT_PLATINUM,
            gold: Fraction = DEFAULT_GOLD) -> str:
    """The tier of the party ranked `rank` (1 = most profitable) among `positive` parties."""
    top, second, _ = pyramid_split(positive, platinum, gold)
    if rank <= top:
        return "platinum"
    if rank <= top + second:
        return "gold"
    return "iron"


def pareto_count(buyers: int) -> int:
    """How many parties make the top ceil(20%) by revenue."""
    return ceil_share(buyers, PARETO_TOP)


# -- money and rounding ---------------------------------------------------------------------------

def money(cents: Number | int | None) -> Decimal | None:
    """Cents (exact or computed) -> Decimal money rounded half-up to the cent."""
    if cents is None:
        return None
    if isinstance(cents, int):
        return (Decimal(cents) / 100).quantize(CENT)
    if isinstance(cents, Fraction):
        units = Fraction(cents, 100)
        whole = Decimal(units.numerator) / Decimal(units.denominator)
        return whole.quantize(CENT, rounding=ROUND_HALF_UP)
    # repr gives the shortest decimal that is this float, so 26666.666666666664 -> 266.67
    return (Decimal(repr(cents)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_share(text: str | float | Decimal | Fraction, what: str, *, upper: Fraction = Fraction(1)) -> Fraction:
    """'10%', '0.1', 0.1 -> Fraction(1, 10); refuses anything outside 0..upper."""
    if isinstance(text, Fraction):
        value = text
    else:
        raw = str(text).strip()
        percent = raw.endswith("%")
        try:
            number = Decimal(raw.rstrip("%").strip())
        except InvalidOperation:
            raise InvalidInput(f"The {what} must be a number like 0.10 or 10% (got {text!r}).") from None
        if not number.is_finite():
            raise InvalidInput(f"The {what} must be a finite number (got {text!r}).")
        value = Fraction(number) / (100 if percent else 1)
    if not 0 <= value <= upper:
        raise InvalidInput(f"The {what} must be from 0% to {float(upper * 100):g}% (got {text!r}).")
    return value


def check_cutoffs(platinum: Fraction, gold: Fraction) -> None:
    if platinum + gold > 1:
        raise InvalidInput("The platinum and gold cut-offs together can't pass 100%.")


def percent_text(value: float | None, *, signed: bool = False) -> str:
    """0.8 -> '80%', 0.375 -> '37.5%', None -> 'n/a' (one decimal place, half-up)."""
    if value is None:
        return "n/a"
    rounded = Decimal(repr(value * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if signed and rounded > 0:
        text = "+" + text
    return f"{text}%"


def rate_text(figure: Figure) -> str:
    """'80% of 50', or 'n/a (none to rest on)'."""
    if figure.value is None:
        return "n/a" if figure.base else "n/a (none to rest on)"
    return f"{percent_text(float(figure.value))} of {figure.base:,}"


def nps_text(value: float | None) -> str:
    """NPS shown from -100 to 100, whole points."""
    if value is None:
        return "n/a"
    points = Decimal(repr(value * 100)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return f"{points:+}" if points else "0"


def years_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded} years" if rounded != 1 else "1.0 year"


def money_text(amount: Decimal | None) -> str:
    return "n/a" if amount is None else f"{amount:,.2f}"


def json_rate(value: float | None) -> float | None:
    """Rates in JSON: the fraction rounded to 6 places (0.8, 0.375, 0.666667)."""
    return None if value is None else round(float(value), 6)


# -- definitions (the screen shows them one key away; docs/metrics.md says the same) ---------------

DEFINITIONS: dict[str, tuple[str, str]] = {
    "retention": (
        "Retention rate",
        "Of the parties active at the start of the period, the share still active at its end "
        "(Dawkins and Reichheld). Active at a date: first purchase on or before it and not "
        "defected on or before it; a win-back makes a party active again from that day. "
        "Parties won during the period are left out.",
    ),
    "churn": ("Churn", "1 - retention: the share of the parties active at the start that are "
                       "no longer active at the end."),
    "won": ("New customers", "Parties whose first purchase falls in the period (not part of "
                             "the retention base)."),
    "annual_retention": ("Annual retention", "r_year = r ** (365 / days in the period); a period "
                                             "of one calendar year keeps r as it is."),
    "lifetime": ("Average lifetime", "1 / (1 - r_year) years: 80% gives 5 years, 90% gives 10. "
                                     "With r_year = 100% the lifetime is unbounded: n/a."),
    "clv": ("Customer lifetime value",
            "CLV = m * r / (1 + i - r) (Gupta and Lehmann), with r the annual retention, i the "
            "discount rate (a setting, default 10%), and m the period's total profit of the "
            "retained parties (active at start and end) divided by their number, scaled to a "
            "year. m = 100, r = 80%, i = 10% give 266.67."),
    "profit_per_party": ("Profit per party", "The period's profit (revenue - cost to serve) "
                                             "divided by the parties that bought in the period."),
    "pyramid": ("Customer pyramid",
                "Parties active at the period end that bought in it, by their profit over the "
                "period (Zeithaml, Rust and Lemon). Lead: profit <= 0. The rest by profit, best "
                "first (ties by name): platinum the first ceil(10%), gold the next ceil(20%), "
                "iron the remainder. Cut-offs are settings. Share: the tier's part of the "
                "pyramid's total profit."),
    "pareto": ("Pareto share", "Of the parties that bought in the period, the top ceil(20%) by "
                               "revenue: their revenue / the period's revenue. Rule of thumb: 80%."),
    "ror": ("Return on relationship",
            "Helped: parties with at least one interaction in the period. Loyal: those of them "
            "who by the period end had bought two or more times, or came by referral. "
            "ROR = loyal / helped."),
    "repeat_purchase": ("Repeat-purchase rate", "Parties with two or more purchases / parties "
                                                "with at least one, counting every purchase up to "
                                                "the period end."),
    "referrals": ("Referrals", "Parties added in the period that came by referral "
                               "(referred by another party)."),
    "mean_feedback": ("Mean feedback", "The mean of the feedback scores (0-10) given in the period."),
    "nps": ("Net Promoter Score", "Share of scores 9-10 minus share of scores 0-6 in the period; "
                                  "from -100 to 100."),
    "ladder": ("Ladder", "Parties not defected, per rung, at the period end and at its start "
                         "(rebuilt from the dated rung steps); climbs and falls during the "
                         "period; per rung, the share of those on it at the start who stood "
                         "higher at the end."),
    "climbs": ("Climbs and falls", "Rung steps in the period: up the ladder (climbs) or down "
                                   "it (falls)."),
    "overdue_follow_ups": ("Overdue follow-ups", "Follow-ups open at the period end whose due "
                                                 "date had passed."),
    "on_time": ("Follow-ups done on time", "Follow-ups done on or before their due date, as a "
                                           "share of those done in the period."),
    "past_cadence": ("Past cadence", "Parties active at the period end with a contact cadence, "
                                     "whose last touch (or, never touched, the day they were "
                                     "added) is more than the cadence's days before the end."),
    "defections": ("Defections", "Defections in the period by reason, with lost profit: the "
                                 "defected parties' profit in the 12 months before they left."),
    "revenue": ("Revenue", "Revenue of purchases in the period."),
    "active": ("Active parties", "Parties active at the date: bought by then and not defected."),
}


def definition(key: str) -> tuple[str, str]:
    base_key = key.split(":", 1)[0]
    if base_key not in DEFINITIONS:
        raise InvalidInput(f"There is no figure {key!r}; known: {', '.join(sorted(DEFINITIONS))}.")
    return DEFINITIONS[base_key]
