"""iCalendar out (RFC 5545, written with the icalendar library).

- each open follow-up: a VTODO with DUE (a date, or a local date-time when it has a
  time), PRIORITY, an RRULE when it repeats, and a VALARM (15 minutes before a timed
  one, 9:00 on the day for a date-only one);
- each active party's birthday: a yearly all-day VEVENT (29 February falls on the last
  day of February in other years);
- each active party's contract renewal: an all-day VEVENT with an alarm a week before.

Every component's UID is derived from the book's own id and the row's id, so a
calendar that imports the file again updates what it has instead of duplicating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event, Todo, vRecur

PRIORITY = {"high": 1, "normal": 5, "low": 9}
RRULE = {"weekly": {"FREQ": "WEEKLY"}, "monthly": {"FREQ": "MONTHLY"},
         "quarterly": {"FREQ": "MONTHLY", "INTERVAL": 3}, "yearly": {"FREQ": "YEARLY"}}


@dataclass(frozen=True)
class FollowUpItem:
    id: int
    party_id: int
    party_name: str
    due_on: date
    due_time: time | None
    text: str
    priority: str
    repeat: str | None
    created_on: date


@dataclass(frozen=True)
class DatedItem:
    party_id: int
    party_name: str
    month: int
    day: int
    year: int | None  # None for a year-less birthday


def calendar(*, book_uid: str, prodid: str, stamp: datetime, follow_ups: list[FollowUpItem],
             birthdays: list[DatedItem], renewals: list[tuple[int, str, date]]) -> bytes:
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "reltui")
    for f in follow_ups:
        todo = Todo()
        todo.add("uid", f"follow-up-{f.id}-{book_uid}@reltui")
        todo.add("dtstamp", stamp)
        todo.add("created", datetime.combine(f.created_on, time(0, 0)))
        todo.add("summary", f"{f.party_name}: {f.text}")
        todo.add("description", f"Follow-up #{f.id} with {f.party_name} (party #{f.party_id}), "
                                f"{f.priority} priority.")
        todo.add("status", "NEEDS-ACTION")
        todo.add("priority", PRIORITY.get(f.priority, 5))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{f.party_name}: {f.text}")
        if f.due_time is not None:
            todo.add("due", datetime.combine(f.due_on, f.due_time))
            alarm.add("trigger", timedelta(minutes=-15), parameters={"RELATED": "END"})
        else:
            todo.add("due", f.due_on)
            alarm.add("trigger", timedelta(hours=9), parameters={"RELATED": "END"})
        if f.repeat in RRULE:
            todo.add("rrule", vRecur(RRULE[f.repeat]))
        todo.add_component(alarm)
        cal.add_component(todo)
    for b in birthdays:
        event = Event()
        start = date(b.year if b.year is not None else 2000, b.month, b.day)
        event.add("uid", f"birthday-{b.party_id}-{book_uid}@reltui")
        event.add("dtstamp", stamp)
        event.add("summary", f"Birthday: {b.party_name}")
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
        rule = {"FREQ": "YEARLY"}
        if (b.month, b.day) == (2, 29):
            rule.update({"BYMONTH": 2, "BYMONTHDAY": -1})
        event.add("rrule", vRecur(rule))
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["birthday"])
        cal.add_component(event)
    for party_id, name, on in renewals:
        event = Event()
        event.add("uid", f"renewal-{party_id}-{book_uid}@reltui")
        event.add("dtstamp", stamp)
        event.add("summary", f"Contract renewal: {name}")
        event.add("dtstart", on)
        event.add("dtend", on + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["renewal"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Contract renewal: {name} in a week")
        alarm.add("trigger", timedelta(days=-7))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
