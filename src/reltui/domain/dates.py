"""Dates as people type them: the one parser the command line and the TUI share.

Grammar (case-insensitive; surrounding spaces ignored):
- words: today, tomorrow (tmr, tom), yesterday
- relative: +3d, -1w, 2w, 3m, 1y, "+10 days", "2 weeks", "in 3 days" (unsigned = future)
- weekdays: fri, friday, next fri (the next such day after today; today excluded),
  this fri (on or after today), last fri (the most recent before today)
- month and day: dec 1, 1 dec, december 1, dec 1 2027, 1 dec 2027, "dec 1, 2027";
  without a year, the next such date on or after today
- ISO: 2026-12-01, 20261201, 2026/12/01
- slash or dot dates without the year first (1/12/2026) are ambiguous and refused
  unless a date order (dmy, mdy) is given; two-digit years are refused
Years outside 1800..2200 are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from reltui.domain.errors import InvalidInput

MIN_YEAR, MAX_YEAR = 1800, 2200
MAX_LENGTH = 100
HINT = "try today, tomorrow, +3d, 2w, next fri, dec 1 or 2026-12-01"


class DateOrder(StrEnum):
    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


MONTHS = {
    name: i
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"),
         ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"),
         ("sun", "sunday")]
    )
    for name in names
}
UNITS = {"d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks", "week": "weeks",
         "weeks": "weeks", "m": "months", "mo": "months", "month": "months", "months": "months",
         "y": "years", "yr": "years", "year": "years", "years": "years"}

_RELATIVE = re.compile(r"^(?:in\s+)?([+-])?\s*(\d{1,5})\s*([a-z]+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$|^(\d{4})/(\d{1,2})/(\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")
_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{1,4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:,?\s+(\d{1,4}))?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2})?)?\s*(am|pm)?$")
_YEARLESS = re.compile(r"^--(\d{2})-?(\d{2})$")
_MMDD = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _refuse(text: str) -> InvalidInput:
    return InvalidInput(f"Can't read {text!r} as a date; {HINT}.")


def _make(year: int, month: int, day: int, text: str) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"{text!r}: the year must be from {MIN_YEAR} to {MAX_YEAR}.")
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a real date.") from None


def _prepare(text: str) -> str:
    if text is None:
        raise InvalidInput(f"Give a date; {HINT}.")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"That date is too long to be a date ({len(text)} characters).")
    cleaned = " ".join(str(text).strip().lower().split())
    if not cleaned:
        raise InvalidInput(f"Give a date; {HINT}.")
    return cleaned


def _month_day(month: int, day: int, year_text: str | None, today: date, text: str) -> date:
    if year_text is not None:
        if len(year_text) != 4:
            raise InvalidInput(f"{text!r}: write the year in full (four digits).")
        return _make(int(year_text), month, day, text)
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise InvalidInput(f"{text!r} is not a real date.")


def parse_date(text: str, today: date, *, order: DateOrder | str | None = None) -> date:
    """Parse a date as typed; raise InvalidInput with a helpful message otherwise."""
    s = _prepare(text)
    original = str(text).strip()
    if s == "today":
        return today
    if s in ("tomorrow", "tmr", "tom"):
        return today + timedelta(days=1)
    if s == "yesterday":
        return today - timedelta(days=1)
    try:
        return _parse_other(s, original, today, order)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{original!r} is out of range for a date.") from None


def _parse_other(s: str, original: str, today: date, order) -> date:
    m = _RELATIVE.match(s)
    if m and m.group(3) in UNITS:
        sign = -1 if m.group(1) == "-" else 1
        n = int(m.group(2)) * sign
        result = today + relativedelta(**{UNITS[m.group(3)]: n})
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise InvalidInput(f"{original!r} lands outside the years {MIN_YEAR} to {MAX_YEAR}.")
        return result
    if re.fullmatch(r"[+-]?\d{1,3}", s):
        raise InvalidInput(f"{original!r} is ambiguous: add a unit, like +{s.lstrip('+-')}d or {s.lstrip('+-')}w.")
    words = s.split(" ")
    if len(words) <= 2 and words[-1] in WEEKDAYS and (len(words) == 1 or words[0] in ("next", "this", "last")):
        target = WEEKDAYS[words[-1]]
        which = words[0] if len(words) == 2 else "next"
        if which == "last":
            delta = (today.weekday() - target) % 7 or 7
            return today - timedelta(days=delta)
        delta = (target - today.weekday()) % 7
        if which == "next" and delta == 0:
            delta = 7
        return today + timedelta(days=delta)
    m = _ISO.match(s)
    if m:
        g = [x for x in m.groups() if x is not None]
        return _make(int(g[0]), int(g[1]), int(g[2]), original)
    m = _SLASH.match(s)
    if m:
        a, b, year = m.groups()
        if len(year) != 4:
            raise InvalidInput(f"{original!r}: write the year in full (four digits), or use 2026-12-01.")
        order_value = DateOrder(order) if order else None
        if order_value is DateOrder.DMY:
            return _make(int(year), int(b), int(a), original)
        if order_value is DateOrder.MDY:
            return _make(int(year), int(a), int(b), original)
        raise InvalidInput(
            f"{original!r} is ambiguous: is it day/month or month/day? Write 2026-12-01, "
            "or set the order with: reltui settings date-order dmy"
        )
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        m = pattern.match(s)
        if m and m.group(month_group) in MONTHS:
            return _month_day(MONTHS[m.group(month_group)], int(m.group(day_group)), m.group(3), today, original)
    raise _refuse(original)


def parse_time(text: str) -> time:
    """'14:30', '9:05', '9am', '2:30pm', '14h' -> time."""
    s = _prepare(text).replace(" ", "")
    m = _TIME.match(s)
    if not m:
        raise InvalidInput(f"Can't read {str(text).strip()!r} as a time; try 9:30, 14:00 or 2pm.")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{str(text).strip()!r}: with am/pm the hour must be 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif m.group(2) is None and "h" not in s:
        raise InvalidInput(f"Can't read {str(text).strip()!r} as a time; try 9:30, 14:00 or 2pm.")
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{str(text).strip()!r} is not a time of day.")
    return time(hour, minute)


def parse_due(text: str, today: date, *, order: DateOrder | str | None = None) -> tuple[date, time | None]:
    """A date, optionally followed by a time: 'tomorrow 9:00', 'fri 2pm', '2026-12-01T09:30'."""
    s = _prepare(text)
    s = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})t", r"\1 ", s)
    parts = s.rsplit(" ", 1)
    if len(parts) == 2 and re.fullmatch(r"\d{1,2}([:.h]\d{2}|h)?(am|pm)?|\d{1,2}[:.]\d{2}", parts[1]) and (
        ":" in parts[1] or "." in parts[1] or "h" in parts[1] or parts[1].endswith(("am", "pm"))
    ):
        try:
            at = parse_time(parts[1])
        except InvalidInput:
            at = None
        if at is not None:
            return parse_date(parts[0], today, order=order), at
    return parse_date(s, today, order=order), None


@dataclass(frozen=True)
class Birthday:
    """A birthday whose year may be unknown."""

    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise InvalidInput("A birthday's month must be from 1 to 12.")
        if self.year is not None and not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidInput(f"A birthday's year must be from {MIN_YEAR} to {MAX_YEAR}.")
        try:
            date(self.year if self.year is not None else 2000, self.month, self.day)  # 2000: a leap year
        except (ValueError, TypeError):
            raise InvalidInput(f"{self.month}/{self.day} is not a real day of the year.") from None

    def iso(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def _in(self, year: int) -> date:
        if self.month == 2 and self.day == 29:
            try:
                return date(year, 2, 29)
            except ValueError:
                return date(year, 2, 28)
        return date(year, self.month, self.day)

    def next_on_or_after(self, d: date) -> date:
        this_year = self._in(d.year)
        return this_year if this_year >= d else self._in(d.year + 1)

    def age_on(self, d: date) -> int | None:
        if self.year is None:
            return None
        # Compare with the day the birthday falls on in d's year (28 February for a
        # 29 February birthday in a common year), the same day next_on_or_after gives.
        return d.year - self.year - (d < self._in(d.year))


def parse_birthday(text: str, today: date, *, order: DateOrder | str | None = None) -> Birthday:
    """'--12-01', '--1201', '12-01', '1980-12-01', 'dec 1', '1 dec 1980' -> Birthday."""
    s = _prepare(text)
    original = str(text).strip()
    m = _YEARLESS.match(s) or _MMDD.match(s)
    if m:
        return Birthday(int(m.group(1)), int(m.group(2)), None)
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        m = pattern.match(s)
        if m and m.group(month_group) in MONTHS:
            year = m.group(3)
            if year is not None and len(year) != 4:
                raise InvalidInput(f"{original!r}: write the year in full (four digits).")
            birthday = Birthday(MONTHS[m.group(month_group)], int(m.group(day_group)), int(year) if year else None)
            if birthday.year is not None and date(birthday.year, birthday.month, birthday.day) > today:
                raise InvalidInput(f"{original!r} is in the future; a birthday can't be.")
            return birthday
    if _ISO.match(s) or _SLASH.match(s):
        d = parse_date(s, today, order=order)
        if d > today:
            raise InvalidInput(f"{original!r} is in the future; a birthday can't be.")
        return Birthday(d.month, d.day, d.year)
    raise InvalidInput(f"Can't read {original!r} as a birthday; try 1980-12-01, dec 1 or --12-01.")


def next_occurrence(due: date, repeat: str) -> date:
    """The next due date of a repeating follow-up (month ends clamp: 31 Jan + 1 month = 28/29 Feb)."""
    steps = {"weekly": relativedelta(weeks=1), "monthly": relativedelta(months=1),
             "quarterly": relativedelta(months=3), "yearly": relativedelta(years=1)}
    if repeat not in steps:
        raise InvalidInput("repeat must be one of: weekly, monthly, quarterly, yearly.")
    return due + steps[repeat]


def describe(d: date, today: date) -> str:
    """A short label for a parsed date: 'today', 'tomorrow', 'Fri 4 Dec 2026 (in 12 days)'."""
    delta = (d - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    label = f"{d:%a} {d.day} {d:%b %Y}"
    return f"{label} (in {delta} days)" if delta > 0 else f"{label} ({-delta} days ago)"

