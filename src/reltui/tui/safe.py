"""Text from the database reaches the terminal as text: never markup, never control bytes."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from reltui.domain.dates import describe
from reltui.domain.text import for_terminal


def safe_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A Rich Text of `value` with control and bidi characters stripped; markup stays literal."""
    if value is None:
        return Text("", style=style)
    return Text(for_terminal(value, multiline=multiline), style=style)


def short_date(value: date | datetime | None, today: date | None = None) -> str:
    """`22 Nov 2026`, or `22 Nov` in the current year; empty for None."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    if today is not None and day.year == today.year:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"


def due_label(day: date, today: date) -> str:
    """A due date as a glance reads it: `today`, `tomorrow`, `2 Nov · 21d late`, `Fri 27 Nov`."""
    delta = (day - today).days
    if abs(delta) <= 1:
        return describe(day, today)  # today, tomorrow, yesterday
    if delta < 0:
        return f"{short_date(day, today)} · {-delta}d late"
    if delta < 7:
        return f"{day:%a} {short_date(day, today)}"
    return short_date(day, today)
