"""reltui.domain.dates: dates, times and birthdays as people type them (DOMAIN.md "Follow-ups").

Every parse runs against a fixed today, 2026-11-22 (a Sunday), so the tables below can
spell out the expected date in full.
"""

from __future__ import annotations

import calendar
from datetime import date, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reltui.domain.dates import (
    MAX_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    Birthday,
    DateOrder,
    describe,
    next_occurrence,
    parse_birthday,
    parse_date,
    parse_due,
    parse_time,
)
from reltui.domain.errors import InvalidInput, ReltuiError

TODAY = date(2026, 11, 22)
D = date


def test_today_is_a_sunday():
    assert TODAY.weekday() == 6
    assert f"{TODAY:%A}" == "Sunday"


def refused(call, *match: str) -> InvalidInput:
    """Run call, expect InvalidInput, and check its message holds every fragment in match."""
    with pytest.raises(InvalidInput) as info:
        call()
    message = str(info.value)
    assert message and "\n" not in message
    for fragment in match:
        assert fragment in message, message
    return info.value


# --------------------------------------------------------------------------- parse_date: accepted

WORDS = [
    ("today", TODAY),
    ("TODAY", TODAY),
    ("  Today  ", TODAY),
    ("tomorrow", D(2026, 11, 23)),
    ("tmr", D(2026, 11, 23)),
    ("tom", D(2026, 11, 23)),
    ("Tomorrow", D(2026, 11, 23)),
    ("yesterday", D(2026, 11, 21)),
]

RELATIVE = [
    ("+0d", TODAY),
    ("0d", TODAY),
    ("-0d", TODAY),
    ("+3d", D(2026, 11, 25)),
    ("3d", D(2026, 11, 25)),
    ("-3d", D(2026, 11, 19)),
    ("+10 days", D(2026, 12, 2)),
    ("1 day", D(2026, 11, 23)),
    ("in 3 days", D(2026, 11, 25)),
    ("IN 3 DAYS", D(2026, 11, 25)),
    ("in   3   days", D(2026, 11, 25)),
    ("- 3d", D(2026, 11, 19)),
    ("+40d", D(2027, 1, 1)),
    ("2w", D(2026, 12, 6)),
    ("+2w", D(2026, 12, 6)),
    ("-1w", D(2026, 11, 15)),
    ("2 weeks", D(2026, 12, 6)),
    ("1 week", D(2026, 11, 29)),
    ("3wk", D(2026, 12, 13)),
    ("3m", D(2027, 2, 22)),
    ("1mo", D(2026, 12, 22)),
    ("-1 month", D(2026, 10, 22)),
    ("in 2 months", D(2027, 1, 22)),
    ("1y", D(2027, 11, 22)),
    ("-2yr", D(2024, 11, 22)),
    ("1 year", D(2027, 11, 22)),
    ("10 years", D(2036, 11, 22)),
]

# Sunday 2026-11-22. A bare weekday means "next": the next such day after today, today excluded;
# "this" is on or after today; "last" is the most recent before today.
WEEKDAYS = [
    ("mon", D(2026, 11, 23)),
    ("monday", D(2026, 11, 23)),
    ("tue", D(2026, 11, 24)),
    ("tues", D(2026, 11, 24)),
    ("tuesday", D(2026, 11, 24)),
    ("wed", D(2026, 11, 25)),
    ("wednesday", D(2026, 11, 25)),
    ("thu", D(2026, 11, 26)),
    ("thur", D(2026, 11, 26)),
    ("thurs", D(2026, 11, 26)),
    ("thursday", D(2026, 11, 26)),
    ("fri", D(2026, 11, 27)),
    ("Friday", D(2026, 11, 27)),
    ("sat", D(2026, 11, 28)),
    ("saturday", D(2026, 11, 28)),
    ("sun", D(2026, 11, 29)),
    ("sunday", D(2026, 11, 29)),
    ("next fri", D(2026, 11, 27)),
    ("next  friday", D(2026, 11, 27)),
    ("NEXT FRI", D(2026, 11, 27)),
    ("next mon", D(2026, 11, 23)),
    ("next sun", D(2026, 11, 29)),
    ("this fri", D(2026, 11, 27)),
    ("this sun", TODAY),
    ("this sunday", TODAY),
    ("this mon", D(2026, 11, 23)),
    ("last fri", D(2026, 11, 20)),
    ("last sat", D(2026, 11, 21)),
    ("last sun", D(2026, 11, 15)),
    ("last mon", D(2026, 11, 16)),
]

ISO = [
    ("2026-12-01", D(2026, 12, 1)),
    ("2026-2-3", D(2026, 2, 3)),
    ("20261201", D(2026, 12, 1)),
    ("2026/12/01", D(2026, 12, 1)),
    ("2026/1/5", D(2026, 1, 5)),
    (" 2026-12-01 ", D(2026, 12, 1)),
    ("1800-01-01", D(1800, 1, 1)),
    ("2200-12-31", D(2200, 12, 31)),
    ("2028-02-29", D(2028, 2, 29)),
    ("2000-02-29", D(2000, 2, 29)),
    ("2026-11-22", TODAY),
    ("1999-12-31", D(1999, 12, 31)),
]

# Without a year: the next such date on or after today.
MONTH_NAMES = [
    ("dec 1", D(2026, 12, 1)),
    ("Dec 1", D(2026, 12, 1)),
    ("december 1", D(2026, 12, 1)),
    ("dec. 1", D(2026, 12, 1)),
    ("dec 1st", D(2026, 12, 1)),
    ("1 dec", D(2026, 12, 1)),
    ("1st december", D(2026, 12, 1)),
    ("1 dec.", D(2026, 12, 1)),
    ("dec 1 2027", D(2027, 12, 1)),
    ("dec 1, 2027", D(2027, 12, 1)),
    ("1 dec 2027", D(2027, 12, 1)),
    ("1 dec, 2027", D(2027, 12, 1)),
    ("dec 1 2020", D(2020, 12, 1)),
    ("nov 22", TODAY),
    ("22 nov", TODAY),
    ("nov 21", D(2027, 11, 21)),
    ("nov 23", D(2026, 11, 23)),
    ("jan 1", D(2027, 1, 1)),
    ("january 1", D(2027, 1, 1)),
    ("feb 2nd", D(2027, 2, 2)),
    ("february 28", D(2027, 2, 28)),
    ("feb 29", D(2028, 2, 29)),  # the next 29 February on or after today
    ("29 feb", D(2028, 2, 29)),
    ("feb 29 2028", D(2028, 2, 29)),
    ("mar 3", D(2027, 3, 3)),
    ("march 3", D(2027, 3, 3)),
    ("apr 3", D(2027, 4, 3)),
    ("april 3", D(2027, 4, 3)),
    ("may 5", D(2027, 5, 5)),
    ("jun 6", D(2027, 6, 6)),
    ("june 6", D(2027, 6, 6)),
    ("jul 7", D(2027, 7, 7)),
    ("july 7", D(2027, 7, 7)),
    ("aug 8", D(2027, 8, 8)),
    ("august 8", D(2027, 8, 8)),
    ("sep 3", D(2027, 9, 3)),
    ("sept 3", D(2027, 9, 3)),
    ("3rd sep.", D(2027, 9, 3)),
    ("september 3", D(2027, 9, 3)),
    ("oct 10", D(2027, 10, 10)),
    ("october 10th", D(2027, 10, 10)),
    ("nov 30", D(2026, 11, 30)),
    ("november 30", D(2026, 11, 30)),
    ("dec 31", D(2026, 12, 31)),
]


@pytest.mark.parametrize(("text", "expected"), WORDS + RELATIVE + WEEKDAYS + ISO + MONTH_NAMES)
def test_parse_date_accepts(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), WORDS + RELATIVE + WEEKDAYS + ISO + MONTH_NAMES)
def test_parse_date_ignores_the_date_order_unless_the_form_is_ambiguous(text, expected):
    for order in DateOrder:
        assert parse_date(text, TODAY, order=order) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        # Month ends clamp: a month after 31 January is the last day of February.
        (D(2027, 1, 31), "1m", D(2027, 2, 28)),
        (D(2028, 1, 31), "1m", D(2028, 2, 29)),
        (D(2028, 2, 29), "1y", D(2029, 2, 28)),
        (D(2028, 2, 29), "4y", D(2032, 2, 29)),
        (D(2026, 3, 31), "-1m", D(2026, 2, 28)),
        # Each weekday, from each weekday, with "next", "this" and "last".
        (D(2026, 11, 27), "fri", D(2026, 12, 4)),
        (D(2026, 11, 27), "this fri", D(2026, 11, 27)),
        (D(2026, 11, 27), "last fri", D(2026, 11, 20)),
        (D(2026, 11, 26), "next fri", D(2026, 11, 27)),
        (D(2026, 11, 28), "last fri", D(2026, 11, 27)),
        # The year rolls over for a month and day already past.
        (D(2026, 12, 31), "dec 30", D(2027, 12, 30)),
        (D(2026, 12, 31), "dec 31", D(2026, 12, 31)),
        (D(2026, 12, 31), "jan 1", D(2027, 1, 1)),
        (D(2028, 3, 1), "feb 29", D(2032, 2, 29)),
        (D(2028, 2, 29), "feb 29", D(2028, 2, 29)),
    ],
)
def test_parse_date_from_other_todays(today, text, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize("today", [TODAY + timedelta(days=i) for i in range(7)])
@pytest.mark.parametrize("name", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_weekday_rules_for_every_today(today, name):
    target = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(name)
    nxt = parse_date(f"next {name}", today)
    this = parse_date(f"this {name}", today)
    last = parse_date(f"last {name}", today)
    assert parse_date(name, today) == nxt
    assert nxt.weekday() == this.weekday() == last.weekday() == target
    assert today < nxt <= today + timedelta(days=7)
    assert today <= this < today + timedelta(days=7)
    assert today - timedelta(days=7) <= last < today
    assert this == (today if today.weekday() == target else nxt)


# Slash and dot dates without the year first: refused unless a date order is given.
SLASHES = [
    # text, dmy, mdy
    ("1/12/2026", D(2026, 12, 1), D(2026, 1, 12)),
    ("01/12/2026", D(2026, 12, 1), D(2026, 1, 12)),
    ("1.12.2026", D(2026, 12, 1), D(2026, 1, 12)),
    ("12/1/2026", D(2026, 1, 12), D(2026, 12, 1)),
    ("5/6/2027", D(2027, 6, 5), D(2027, 5, 6)),
    ("22/11/2026", TODAY, None),
    ("11/22/2026", None, TODAY),
    ("29/2/2028", D(2028, 2, 29), None),
    ("2/29/2028", None, D(2028, 2, 29)),
    ("31.12.1999", D(1999, 12, 31), None),
]


@pytest.mark.parametrize(("text", "dmy", "mdy"), SLASHES)
def test_slash_dates_follow_the_date_order(text, dmy, mdy):
    for order, expected in ((DateOrder.DMY, dmy), ("dmy", dmy), (DateOrder.MDY, mdy), ("mdy", mdy)):
        if expected is None:
            refused(lambda: parse_date(text, TODAY, order=order), "not a real date")
        else:
            assert parse_date(text, TODAY, order=order) == expected


@pytest.mark.parametrize(("text", "dmy", "mdy"), SLASHES)
@pytest.mark.parametrize("order", [None, "", DateOrder.YMD])
def test_slash_dates_are_refused_without_a_day_month_order(text, dmy, mdy, order):
    refused(lambda: parse_date(text, TODAY, order=order), "ambiguous", "day/month", "2026-12-01", "date-order")


@pytest.mark.parametrize("text", ["1/12/26", "1.12.26", "1/12/202", "01/12/99"])
@pytest.mark.parametrize("order", [None, DateOrder.DMY, DateOrder.MDY])
def test_slash_dates_with_short_years_are_refused(text, order):
    refused(lambda: parse_date(text, TODAY, order=order), "four digits")


def test_slash_dates_check_the_year_range():
    refused(lambda: parse_date("1/12/1799", TODAY, order="dmy"), "1800 to 2200")
    refused(lambda: parse_date("1/12/2201", TODAY, order="mdy"), "1800 to 2200")
    refused(lambda: parse_date("13/13/2026", TODAY, order="dmy"), "not a real date")


# --------------------------------------------------------------------------- parse_date: refused

REFUSALS = [
    # text, fragments the message must hold
    ("0000-00-00", ["'0000-00-00'", "year must be from 1800 to 2200"]),
    ("9999-99-99", ["'9999-99-99'", "year must be from 1800 to 2200"]),
    ("1799-12-31", ["year must be from 1800 to 2200"]),
    ("2201-01-01", ["year must be from 1800 to 2200"]),
    ("00000000", ["year must be from 1800 to 2200"]),
    ("2026-02-30", ["'2026-02-30' is not a real date"]),
    ("2026-02-29", ["not a real date"]),
    ("2026-13-01", ["not a real date"]),
    ("2026-00-10", ["not a real date"]),
    ("2026-12-00", ["not a real date"]),
    ("2026-04-31", ["not a real date"]),
    ("20261301", ["not a real date"]),
    ("2026/02/30", ["not a real date"]),
    ("feb 30", ["not a real date"]),
    ("31 apr", ["not a real date"]),
    ("dec 0", ["not a real date"]),
    ("dec 32", ["not a real date"]),
    ("feb 29 2027", ["not a real date"]),
    ("dec 1 27", ["four digits"]),
    ("1 dec 202", ["four digits"]),
    ("dec 1 1799", ["1800 to 2200"]),
    ("dec 1 0000", ["1800 to 2200"]),
    # Huge or out-of-range relative amounts.
    ("+99999999d", ["Can't read", "+3d"]),
    ("999999w", ["Can't read"]),
    ("+99999d", ["lands outside the years 1800 to 2200"]),
    ("-99999d", ["lands outside the years 1800 to 2200"]),
    ("-99999w", ["lands outside the years 1800 to 2200"]),
    ("+99999m", ["out of range"]),
    ("+2400m", ["lands outside the years 1800 to 2200"]),
    ("+99999y", ["out of range"]),
    ("-99999y", ["out of range"]),
    ("+175y", ["lands outside the years 1800 to 2200"]),
    ("-227y", ["lands outside the years 1800 to 2200"]),
    # Bare numbers have no unit.
    ("3", ["ambiguous", "+3d", "3w"]),
    ("+3", ["ambiguous", "+3d"]),
    ("-12", ["ambiguous", "+12d"]),
    ("999", ["ambiguous"]),
    # Garbage, near misses and unknown units.
    ("garbage", ["Can't read 'garbage' as a date", "next fri", "2026-12-01"]),
    ("next", ["Can't read"]),
    ("next week", ["Can't read"]),
    ("next friday please", ["Can't read"]),
    ("someday fri", ["Can't read"]),
    ("frid", ["Can't read"]),
    ("3x", ["Can't read"]),
    ("3 fortnights", ["Can't read"]),
    ("+d", ["Can't read"]),
    ("1234", ["Can't read"]),
    ("2026-12", ["Can't read"]),
    ("2026-12-01-01", ["Can't read"]),
    ("26-12-01", ["Can't read"]),
    ("decem 1", ["Can't read"]),
    ("1 2 3", ["Can't read"]),
    ("today!", ["Can't read"]),
    ("to day", ["Can't read"]),
    ("tomorrow 9:00", ["Can't read"]),  # a time belongs to parse_due
    # Control characters are not dropped into a valid date, and the message shows them escaped.
    ("\x00today", ["Can't read", "\\x00today"]),
    ("to\x00day", ["Can't read", "\\x00"]),
    ("2026-12-01\x00", ["Can't read"]),
    ("\x1b[31mtoday", ["Can't read", "\\x1b"]),
    ("+3\x07d", ["Can't read", "\\x07"]),
    ("to\x1cday", ["Can't read"]),
    ("2026-12-01\u200b", ["Can't read"]),
]


@pytest.mark.parametrize(("text", "fragments"), REFUSALS)
def test_parse_date_refuses(text, fragments):
    error = refused(lambda: parse_date(text, TODAY), *fragments)
    assert isinstance(error, ReltuiError)
    for ch in "\x00\x07\x1b\x1c":
        assert ch not in str(error)  # control characters never reach the terminal raw


@pytest.mark.parametrize("text", ["", " ", "   ", "\t\n", "\r\n  \t"])
def test_parse_date_refuses_empty_text(text):
    refused(lambda: parse_date(text, TODAY), "Give a date", "next fri")


def test_parse_date_refuses_none():
    refused(lambda: parse_date(None, TODAY), "Give a date")  # type: ignore[arg-type]


def test_parse_date_refuses_overlong_text():
    refused(lambda: parse_date("x" * (MAX_LENGTH + 1), TODAY), "too long", f"{MAX_LENGTH + 1} characters")
    refused(lambda: parse_date("today" + " " * MAX_LENGTH, TODAY), "too long")
    assert parse_date("today".center(MAX_LENGTH), TODAY) == TODAY


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["Give a date"]),
        ("garbage", ["Can't read"]),
        ("2026-02-30", ["not a real date"]),
        ("tomorrow 25:00", ["Can't read"]),
        ("today 12", ["Can't read"]),
        ("1/12/2026 9:00", ["ambiguous"]),
    ],
)
def test_parse_due_refuses(text, fragments):
    refused(lambda: parse_due(text, TODAY), *fragments)


# --------------------------------------------------------------------------- parse_time

TIMES = [
    ("14:30", time(14, 30)),
    ("9:05", time(9, 5)),
    ("09:05", time(9, 5)),
    ("0:00", time(0, 0)),
    ("00:00", time(0, 0)),
    ("23:59", time(23, 59)),
    ("9.30", time(9, 30)),
    ("14h", time(14, 0)),
    ("14H", time(14, 0)),
    ("14h30", time(14, 30)),
    ("9h", time(9, 0)),
    ("9am", time(9, 0)),
    ("9 am", time(9, 0)),
    ("9AM", time(9, 0)),
    ("2pm", time(14, 0)),
    ("2:30pm", time(14, 30)),
    ("2:30 PM", time(14, 30)),
    ("12am", time(0, 0)),
    ("12:15am", time(0, 15)),
    ("12pm", time(12, 0)),
    ("12:45pm", time(12, 45)),
    ("1am", time(1, 0)),
    ("11pm", time(23, 0)),
    ("  7:45  ", time(7, 45)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_parse_time_accepts(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("9", ["Can't read '9' as a time", "9:30", "2pm"]),
        ("14", ["Can't read"]),
        ("9:", ["Can't read"]),
        ("9:5", ["Can't read"]),
        ("9:305", ["Can't read"]),
        ("noon", ["Can't read"]),
        ("9:30:00", ["Can't read"]),
        ("123:00", ["Can't read"]),
        ("-1:00", ["Can't read"]),
        ("9\x00:30", ["Can't read", "\\x00"]),
        ("24:00", ["'24:00' is not a time of day"]),
        ("25h", ["not a time of day"]),
        ("9:60", ["not a time of day"]),
        ("23:99", ["not a time of day"]),
        ("0am", ["with am/pm the hour must be 1 to 12"]),
        ("13pm", ["with am/pm the hour must be 1 to 12"]),
        ("00:30am", ["1 to 12"]),
        ("", ["Give a date"]),
        ("   ", ["Give a date"]),
    ],
)
def test_parse_time_refuses(text, fragments):
    refused(lambda: parse_time(text), *fragments)


# --------------------------------------------------------------------------- parse_due

DUES = [
    ("tomorrow", D(2026, 11, 23), None),
    ("tomorrow 9:00", D(2026, 11, 23), time(9, 0)),
    ("tomorrow 9am", D(2026, 11, 23), time(9, 0)),
    ("today 14h", TODAY, time(14, 0)),
    ("today 14h30", TODAY, time(14, 30)),
    ("tomorrow 9h05", D(2026, 11, 23), time(9, 5)),
    ("fri 9h30am", D(2026, 11, 27), time(9, 30)),
    ("fri 2pm", D(2026, 11, 27), time(14, 0)),
    ("next fri 2:30pm", D(2026, 11, 27), time(14, 30)),
    ("+3d 17:00", D(2026, 11, 25), time(17, 0)),
    ("2w 8.15", D(2026, 12, 6), time(8, 15)),
    ("in 3 days 10:00", D(2026, 11, 25), time(10, 0)),
    ("2026-12-01", D(2026, 12, 1), None),
    ("2026-12-01 09:30", D(2026, 12, 1), time(9, 30)),
    ("2026-12-01T09:30", D(2026, 12, 1), time(9, 30)),
    ("2026-12-01t9:30", D(2026, 12, 1), time(9, 30)),
    ("dec 1 9h", D(2026, 12, 1), time(9, 0)),
    ("dec 1 2027", D(2027, 12, 1), None),  # 2027 is a year, not a time
    ("dec 1 2027 9am", D(2027, 12, 1), time(9, 0)),
    ("1 dec", D(2026, 12, 1), None),
    ("TOMORROW 9AM", D(2026, 11, 23), time(9, 0)),
]


@pytest.mark.parametrize(("text", "day", "at"), DUES)
def test_parse_due_accepts(text, day, at):
    assert parse_due(text, TODAY) == (day, at)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("1/12/2026 9:00", "dmy", (D(2026, 12, 1), time(9, 0))),
        ("1/12/2026 9:00", "mdy", (D(2026, 1, 12), time(9, 0))),
        ("1.12.2026 9.30", DateOrder.DMY, (D(2026, 12, 1), time(9, 30))),
        ("1/12/2026", DateOrder.MDY, (D(2026, 1, 12), None)),
    ],
)
def test_parse_due_passes_the_date_order_on(text, order, expected):
    assert parse_due(text, TODAY, order=order) == expected


@pytest.mark.parametrize(("text", "expected"), WORDS + RELATIVE + WEEKDAYS + ISO + MONTH_NAMES)
def test_parse_due_without_a_time_agrees_with_parse_date(text, expected):
    assert parse_due(text, TODAY) == (expected, None)


# --------------------------------------------------------------------------- Birthday

BIRTHDAYS = [
    ("--12-01", Birthday(12, 1)),
    ("--1201", Birthday(12, 1)),
    ("--02-29", Birthday(2, 29)),
    ("--0229", Birthday(2, 29)),
    ("12-01", Birthday(12, 1)),
    ("2-3", Birthday(2, 3)),
    ("1980-12-01", Birthday(12, 1, 1980)),
    ("19801201", Birthday(12, 1, 1980)),
    ("1980/12/01", Birthday(12, 1, 1980)),
    ("2000-02-29", Birthday(2, 29, 2000)),
    ("2026-11-22", Birthday(11, 22, 2026)),  # born today
    ("dec 1", Birthday(12, 1)),
    ("December 1st", Birthday(12, 1)),
    ("1 dec", Birthday(12, 1)),
    ("feb 29", Birthday(2, 29)),
    ("1 dec 1980", Birthday(12, 1, 1980)),
    ("dec 1, 1980", Birthday(12, 1, 1980)),
    ("nov 22 2026", Birthday(11, 22, 2026)),
    ("  Dec 1 1980 ", Birthday(12, 1, 1980)),
]


@pytest.mark.parametrize(("text", "expected"), BIRTHDAYS)
def test_parse_birthday_accepts(text, expected):
    assert parse_birthday(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("1/12/1980", "dmy", Birthday(12, 1, 1980)),
        ("1/12/1980", "mdy", Birthday(1, 12, 1980)),
        ("1.12.1980", DateOrder.DMY, Birthday(12, 1, 1980)),
    ],
)
def test_parse_birthday_slash_dates_follow_the_date_order(text, order, expected):
    assert parse_birthday(text, TODAY, order=order) == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["Give a date"]),
        ("garbage", ["Can't read 'garbage' as a birthday", "--12-01"]),
        ("tomorrow", ["as a birthday"]),
        ("+3d", ["as a birthday"]),
        ("--1-01", ["as a birthday"]),
        ("--13-01", ["month must be from 1 to 12"]),
        ("--00-10", ["month must be from 1 to 12"]),
        ("13-01", ["month must be from 1 to 12"]),
        ("--02-30", ["2/30 is not a real day of the year"]),
        ("--04-31", ["not a real day of the year"]),
        ("--12-00", ["not a real day of the year"]),
        ("feb 30", ["not a real day of the year"]),
        ("dec 32", ["not a real day of the year"]),
        ("feb 29 1981", ["not a real day of the year"]),
        ("1981-02-29", ["not a real date"]),
        ("0000-00-00", ["1800 to 2200"]),
        ("9999-99-99", ["1800 to 2200"]),
        ("1 dec 1799", ["1800 to 2200"]),
        ("1 dec 80", ["four digits"]),
        ("1/12/1980", ["ambiguous"]),
        ("1/12/80", ["four digits"]),
        # A birthday can't be in the future, whichever way it is written.
        ("2030-12-01", ["'2030-12-01' is in the future"]),
        ("2026-11-23", ["in the future"]),
        ("dec 1 2026", ["'dec 1 2026' is in the future"]),
        ("1 dec 2030", ["in the future"]),
        ("nov 23, 2026", ["in the future"]),
    ],
)
def test_parse_birthday_refuses(text, fragments):
    refused(lambda: parse_birthday(text, TODAY), *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ((0, 1), ["month must be from 1 to 12"]),
        ((13, 1), ["month must be from 1 to 12"]),
        (("12", 1), ["month must be from 1 to 12"]),
        ((2, 30), ["not a real day of the year"]),
        ((2, 0), ["not a real day of the year"]),
        ((2, "1"), ["not a real day of the year"]),
        ((2, 29, 2001), ["not a real day of the year"]),
        ((1, 1, 1799), ["year must be from 1800 to 2200"]),
        ((1, 1, 2201), ["year must be from 1800 to 2200"]),
    ],
)
def test_birthday_refuses_impossible_days(args, fragments):
    refused(lambda: Birthday(*args), *fragments)


@pytest.mark.parametrize(
    ("birthday", "iso"),
    [
        (Birthday(12, 1), "--12-01"),
        (Birthday(2, 29), "--02-29"),
        (Birthday(12, 1, 1980), "1980-12-01"),
        (Birthday(1, 5, 1850), "1850-01-05"),
    ],
)
def test_birthday_iso_round_trips(birthday, iso):
    assert birthday.iso() == iso
    assert parse_birthday(iso, TODAY) == birthday


@pytest.mark.parametrize(
    ("birthday", "on_or_after", "expected"),
    [
        (Birthday(12, 1), TODAY, D(2026, 12, 1)),
        (Birthday(11, 22), TODAY, TODAY),
        (Birthday(11, 21), TODAY, D(2027, 11, 21)),
        (Birthday(1, 1), TODAY, D(2027, 1, 1)),
        (Birthday(12, 31), D(2026, 12, 31), D(2026, 12, 31)),
        (Birthday(1, 1), D(2026, 12, 31), D(2027, 1, 1)),
        (Birthday(12, 1, 1980), TODAY, D(2026, 12, 1)),
        # 29 February falls on 28 February in a common year.
        (Birthday(2, 29), TODAY, D(2027, 2, 28)),
        (Birthday(2, 29), D(2027, 2, 28), D(2027, 2, 28)),
        (Birthday(2, 29), D(2027, 3, 1), D(2028, 2, 29)),
        (Birthday(2, 29), D(2028, 1, 1), D(2028, 2, 29)),
        (Birthday(2, 29), D(2028, 2, 28), D(2028, 2, 29)),
        (Birthday(2, 29), D(2028, 2, 29), D(2028, 2, 29)),
        (Birthday(2, 29), D(2028, 3, 1), D(2029, 2, 28)),
        (Birthday(2, 29), D(2100, 1, 1), D(2100, 2, 28)),  # 2100 is not a leap year
        (Birthday(2, 29, 2000), D(2026, 3, 1), D(2027, 2, 28)),
        (Birthday(2, 28), D(2028, 2, 28), D(2028, 2, 28)),
        (Birthday(3, 1), D(2028, 2, 29), D(2028, 3, 1)),
    ],
)
def test_birthday_next_on_or_after(birthday, on_or_after, expected):
    assert birthday.next_on_or_after(on_or_after) == expected


@pytest.mark.parametrize(
    ("birthday", "on", "age"),
    [
        (Birthday(12, 1), TODAY, None),
        (Birthday(12, 1, 1980), TODAY, 45),
        (Birthday(12, 1, 1980), D(2026, 11, 30), 45),
        (Birthday(12, 1, 1980), D(2026, 12, 1), 46),
        (Birthday(11, 22, 2026), TODAY, 0),
        (Birthday(11, 22, 2000), TODAY, 26),
        (Birthday(11, 23, 2000), TODAY, 25),
        (Birthday(1, 1, 2000), D(2000, 12, 31), 0),
        (Birthday(1, 1, 2000), D(2001, 1, 1), 1),
        # 29 February: a year older on the day next_on_or_after gives, 28 February in a common year.
        (Birthday(2, 29, 2000), D(2027, 2, 27), 26),
        (Birthday(2, 29, 2000), D(2027, 2, 28), 27),
        (Birthday(2, 29, 2000), D(2027, 3, 1), 27),
        (Birthday(2, 29, 2000), D(2028, 2, 28), 27),
        (Birthday(2, 29, 2000), D(2028, 2, 29), 28),
        (Birthday(2, 29, 2000), D(2028, 3, 1), 28),
    ],
)
def test_birthday_age_on(birthday, on, age):
    assert birthday.age_on(on) == age


# --------------------------------------------------------------------------- next_occurrence

@pytest.mark.parametrize(
    ("due", "repeat", "expected"),
    [
        (TODAY, "weekly", D(2026, 11, 29)),
        (D(2026, 12, 29), "weekly", D(2027, 1, 5)),
        (TODAY, "monthly", D(2026, 12, 22)),
        (D(2026, 12, 15), "monthly", D(2027, 1, 15)),
        (D(2027, 1, 31), "monthly", D(2027, 2, 28)),
        (D(2028, 1, 31), "monthly", D(2028, 2, 29)),
        (D(2026, 3, 31), "monthly", D(2026, 4, 30)),
        (TODAY, "quarterly", D(2027, 2, 22)),
        (D(2026, 11, 30), "quarterly", D(2027, 2, 28)),
        (TODAY, "yearly", D(2027, 11, 22)),
        (D(2028, 2, 29), "yearly", D(2029, 2, 28)),
    ],
)
def test_next_occurrence(due, repeat, expected):
    assert next_occurrence(due, repeat) == expected


@pytest.mark.parametrize("repeat", ["daily", "", "Weekly", "fortnightly", None])
def test_next_occurrence_refuses_unknown_rules(repeat):
    refused(lambda: next_occurrence(TODAY, repeat), "weekly, monthly, quarterly, yearly")


# --------------------------------------------------------------------------- describe

@pytest.mark.parametrize(
    ("day", "label"),
    [
        (TODAY, "today"),
        (D(2026, 11, 23), "tomorrow"),
        (D(2026, 11, 21), "yesterday"),
        (D(2026, 11, 24), "Tue 24 Nov 2026 (in 2 days)"),
        (D(2026, 11, 20), "Fri 20 Nov 2026 (2 days ago)"),
        (D(2026, 12, 4), "Fri 4 Dec 2026 (in 12 days)"),
        (D(2026, 11, 12), "Thu 12 Nov 2026 (10 days ago)"),
        (D(2027, 11, 22), "Mon 22 Nov 2027 (in 365 days)"),
        (D(2025, 11, 22), "Sat 22 Nov 2025 (365 days ago)"),
    ],
)
def test_describe(day, label):
    assert describe(day, TODAY) == label


def test_describe_labels_what_parse_date_reads():
    assert describe(parse_date("next fri", TODAY), TODAY) == "Fri 27 Nov 2026 (in 5 days)"
    assert describe(parse_date("tmr", TODAY), TODAY) == "tomorrow"


# --------------------------------------------------------------------------- properties

IN_RANGE = st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=D(MAX_YEAR, 12, 31))
# Todays far enough inside the range that every relative form and rollover stays inside it.
TODAYS = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))
DATE_ALPHABET = st.sampled_from(list("0123456789+-/.:, dhmwytonexsrflaicjubgpv\t\x00\x1b\u0663\uff11"))
WORDISH = st.lists(
    st.sampled_from(["today", "tomorrow", "next", "this", "last", "in", "fri", "sun", "dec", "feb", "29",
                     "1st", "+3d", "2w", "-1m", "99999y", "2026-12-01", "1/12/2026", "9:30", "2pm", "--12-01"]),
    max_size=4,
).map(" ".join)
ANY_TEXT = st.one_of(st.text(max_size=120), st.text(DATE_ALPHABET, max_size=30), WORDISH)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT, today=IN_RANGE, order=st.sampled_from([None, *DateOrder]))
def test_parse_date_only_ever_refuses_with_invalid_input(text, today, order):
    try:
        result = parse_date(text, today, order=order)
    except InvalidInput as error:
        assert isinstance(error, ReltuiError) and str(error)
    else:
        assert isinstance(result, date)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, today=IN_RANGE, order=st.sampled_from([None, *DateOrder]))
def test_the_other_parsers_only_ever_refuse_with_invalid_input(text, today, order):
    for call in (lambda: parse_time(text), lambda: parse_due(text, today, order=order),
                 lambda: parse_birthday(text, today, order=order)):
        try:
            call()
        except InvalidInput as error:
            assert str(error)


@settings(max_examples=300, deadline=None)
@given(d=IN_RANGE, today=IN_RANGE)
def test_iso_dates_round_trip(d, today):
    assert parse_date(d.isoformat(), today) == d
    assert parse_date(d.strftime("%Y%m%d"), today) == d
    assert parse_date(d.strftime("%Y/%m/%d"), today) == d
    assert parse_date(f"{d.day}/{d.month}/{d.year}", today, order="dmy") == d
    assert parse_date(f"{d.month}/{d.day}/{d.year}", today, order="mdy") == d
    assert parse_due(d.isoformat() + "T12:00", today) == (d, time(12))


@settings(max_examples=200, deadline=None)
@given(d=IN_RANGE)
def test_month_name_with_year_round_trips(d):
    assert parse_date(f"{d:%b} {d.day} {d.year}", TODAY) == d
    assert parse_date(f"{d.day} {d:%B} {d.year}", TODAY) == d


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=0, max_value=3650))
def test_plus_n_days_is_today_plus_n_days(n):
    expected = TODAY + timedelta(days=n)
    assert parse_date(f"+{n}d", TODAY) == expected
    assert parse_date(f"{n}d", TODAY) == expected
    assert parse_date(f"in {n} days", TODAY) == expected
    assert parse_date(f"-{n}d", TODAY) == TODAY - timedelta(days=n)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=500), today=TODAYS,
       unit=st.sampled_from(["d", "w", "m", "y"]))
def test_relative_units_match_relativedelta(n, today, unit):
    step = {"d": relativedelta(days=n), "w": relativedelta(weeks=n), "m": relativedelta(months=n),
            "y": relativedelta(years=n)}[unit]
    if unit == "y" and n > 99:
        return
    assert parse_date(f"+{n}{unit}", today) == today + step
    assert parse_date(f"-{n}{unit}", today) == today - step


@settings(max_examples=200, deadline=None)
@given(today=TODAYS, month=st.integers(1, 12), day=st.integers(1, 31))
def test_month_and_day_without_a_year_is_the_next_on_or_after_today(today, month, day):
    try:
        date(2000, month, day)
    except ValueError:
        return
    result = parse_date(f"{date(2000, month, 1):%b} {day}", today)
    assert (result.month, result.day) == (month, day)
    assert today <= result
    limit = 366 if (month, day) != (2, 29) else 366 * 8 + 1  # 29 February waits for a leap year
    assert (result - today).days < limit


@settings(max_examples=300, deadline=None)
@given(due=IN_RANGE, repeat=st.sampled_from(["weekly", "monthly", "quarterly", "yearly"]))
def test_next_occurrence_is_later_and_within_a_year(due, repeat):
    result = next_occurrence(due, repeat)
    assert due < result <= due + timedelta(days=366)
    if repeat == "weekly":
        assert result == due + timedelta(days=7)


@st.composite
def birthdays(draw):
    """Any valid Birthday: year-less, or with a year (29 February only in leap years)."""
    year = draw(st.one_of(st.none(), st.integers(MIN_YEAR, MAX_YEAR)))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(year if year is not None else 2000, month)[1]
    day = draw(st.one_of(st.integers(1, last), st.just(last)))
    if year is None and draw(st.booleans()):
        month, day = 2, 29
    return Birthday(month, day, year)


BIRTHDAYS_ANY = birthdays()


@settings(max_examples=400, deadline=None)
@given(birthday=BIRTHDAYS_ANY, d=st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=D(MAX_YEAR - 1, 12, 31)))
@example(birthday=Birthday(2, 29), d=D(2027, 3, 1))
@example(birthday=Birthday(2, 29), d=D(2100, 3, 1))
def test_birthday_next_on_or_after_is_soon_and_on_the_day(birthday, d):
    result = birthday.next_on_or_after(d)
    assert d <= result
    # Within a year; one day more when a 29 February birthday moves from 28 February to 29.
    assert (result - d).days <= 365
    if (birthday.month, birthday.day) == (2, 29):
        assert (result.month, result.day) in ((2, 29), (2, 28))
        assert (result.day == 29) == (result.year % 4 == 0 and (result.year % 100 != 0 or result.year % 400 == 0))
    else:
        assert (result.month, result.day) == (birthday.month, birthday.day)
    # The first such day: nothing between d and result is the birthday.
    assert birthday.next_on_or_after(result) == result
    if result > d:
        assert birthday.next_on_or_after(result - timedelta(days=1)) == result


@settings(max_examples=300, deadline=None)
@given(birthday=BIRTHDAYS_ANY, d=st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=D(MAX_YEAR - 1, 12, 31)))
@example(birthday=Birthday(2, 29, 2000), d=D(2027, 1, 1))
@example(birthday=Birthday(2, 29, 2000), d=D(2028, 1, 1))
def test_birthday_age_goes_up_by_one_on_the_birthday(birthday, d):
    if birthday.year is None:
        assert birthday.age_on(d) is None
        return
    on = birthday.next_on_or_after(d)
    before = on - timedelta(days=1)
    assert birthday.age_on(on) == birthday.age_on(before) + 1
    assert birthday.age_on(on) == on.year - birthday.year


@settings(max_examples=200, deadline=None)
@given(d=st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=TODAY))
def test_past_iso_birthdays_round_trip(d):
    birthday = parse_birthday(d.isoformat(), TODAY)
    assert birthday == Birthday(d.month, d.day, d.year)
    assert parse_birthday(f"{d:%b} {d.day} {d.year}", TODAY) == birthday
    assert parse_birthday(f"--{d:%m-%d}", TODAY) == Birthday(d.month, d.day)
    assert birthday.age_on(TODAY) >= 0


@settings(max_examples=200, deadline=None)
@given(d=st.dates(min_value=TODAY + timedelta(days=1), max_value=D(MAX_YEAR, 12, 31)))
def test_future_birthdays_are_refused_however_written(d):
    for text in (d.isoformat(), f"{d:%b} {d.day} {d.year}", f"{d.day} {d:%B}, {d.year}"):
        refused(lambda text=text: parse_birthday(text, TODAY), "in the future")
