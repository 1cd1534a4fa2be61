"""The forms: a party, a contact, a follow-up, a purchase, feedback, a defection, a rung step.

Each is a `Form` (see base.py): `fields()` lays it out, `build()` reads and checks
what was typed on the UI thread, `commit()` runs the use case in a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from reltui.domain.dates import Birthday
from reltui.domain.enums import (
    REASON_MEANING,
    Channel,
    Direction,
    Kind,
    PartyType,
    Priority,
    Reason,
    Repeat,
    Rung,
)
from reltui.domain.errors import EditConflict, ReltuiError
from reltui.domain.merge import FIELD_LABELS
from reltui.domain.money import parse_money
from reltui.domain.records import FollowUpRow, PartyDetail, PartyIn, PartyRef
from reltui.domain.text import for_terminal
from reltui.tui.modals.base import Field, FieldError, Form


def _choices(enum: type, labels: dict | None = None) -> list[tuple[str, str]]:
    return [((labels or {}).get(member, member.value), member.value) for member in enum]


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


def _int(values: dict[str, str], field_id: str, label: str, low: int, high: int) -> int | None:
    text = values.get(field_id, "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise FieldError(field_id, f"{label} must be a whole number.") from None
    if not low <= number <= high:
        raise FieldError(field_id, f"{label} must be between {low} and {high}.")
    return number


def _party_field(party: PartyRef | None) -> list[Field]:
    return [] if party is not None else [Field("party", "Party", "party", required=True)]


class PartyBound(Form):
    """A form about one party: given, or picked in the form's first field."""

    def __init__(self, party: PartyRef | None = None) -> None:
        super().__init__()
        self.given = party

    @property
    def form_title(self) -> str:
        who = f": {for_terminal(self.given.name)}" if self.given else ""
        return f"{self.heading}{who}"

    heading = ""

    def target(self) -> PartyRef:
        return self.given if self.given is not None else self.party()


# -- a party ---------------------------------------------------------------------------------

class PartyForm(Form):
    """Add a party, or edit one (editing never moves the rung: the ladder keys do that)."""

    def __init__(self, detail: PartyDetail | None = None) -> None:
        super().__init__()
        self.detail = detail
        self.form_title = f"Edit {for_terminal(detail.name)}" if detail else "New party"
        # the profile as opened: saving merges with what was saved elsewhere since
        self.base = detail.to_input() if detail else None
        self.kept_before: tuple[str, ...] = ()  # their changes a settled conflict already kept

    def fields(self) -> Sequence[Field]:
        d = self.detail
        fields = [
            Field("name", "Name", value=d.name if d else "", required=True,
                  placeholder="Ada Lovelace, or Acme Ltd"),
            Field("party_type", "Person/org", "choice", value=(d.party_type if d else PartyType.PERSON).value,
                  choices=_choices(PartyType), required=True),
            Field("kind", "Kind", "choice", value=(d.kind if d else Kind.CUSTOMER).value,
                  choices=[(f"{k.value} ({'B2B' if k.is_b2b else 'B2C'})", k.value) for k in Kind],
                  required=True),
        ]
        if d is None:
            fields.append(Field("rung", "Rung", "choice", value=Rung.PROSPECT.value,
                                choices=_choices(Rung), required=True))
        fields += [
            Field("organisation", "Organisation", value=(d.organisation or "") if d else ""),
            Field("emails", "Emails", value=", ".join(d.emails) if d else "",
                  placeholder="comma-separated"),
            Field("phones", "Phones", value=", ".join(d.phones) if d else "",
                  placeholder="comma-separated"),
            Field("address", "Address", value=(d.address or "") if d else ""),
            Field("birthday", "Birthday", "birthday", value=d.birthday.iso() if d and d.birthday else "",
                  placeholder="1980-12-01, dec 1, or --12-01 without the year"),
            Field("tags", "Tags", value=", ".join(d.tags) if d else "", placeholder="comma-separated"),
            Field("source", "Source", value=(d.source or "") if d else "",
                  placeholder="referral, walk-in, web, event…"),
            Field("referred_by", "Referred by", value=d.referred_by.name if d and d.referred_by else "",
                  placeholder="the name of the party who referred them"),
            Field("cadence", "Cadence (days)", value=str(d.cadence_days or "") if d else "",
                  placeholder="days between touches, e.g. 30"),
            Field("terms", "Payment terms", value=str(d.payment_terms_days or "") if d else "",
                  placeholder="B2B: days, e.g. 30"),
            Field("renewal", "Renewal", "date", value=d.renewal_on.isoformat() if d and d.renewal_on else "",
                  placeholder="B2B: contract renewal date"),
            Field("notes", "Notes", "notes", value=d.notes if d else ""),
        ]
        return fields

    def build(self, values: dict[str, str]) -> tuple[PartyIn, str]:
        if not values["name"].strip():
            raise FieldError("name", "A name is needed.")
        birthday: Birthday | None = None
        if values["birthday"].strip():
            birthday = self.parse_date_field(values, "birthday", kind="birthday")
        renewal = self.parse_date_field(values, "renewal") if values["renewal"].strip() else None
        data = PartyIn(
            name=values["name"], party_type=PartyType(values["party_type"]), kind=Kind(values["kind"]),
            organisation=values["organisation"] or None, emails=_split(values["emails"]),
            phones=_split(values["phones"]), address=values["address"] or None, birthday=birthday,
            tags=_split(values["tags"]), notes=values["notes"], source=values["source"] or None,
            cadence_days=_int(values, "cadence", "Cadence", 1, 3650),
            payment_terms_days=_int(values, "terms", "Payment terms", 0, 3650),
            renewal_on=renewal,
            rung=Rung(values["rung"]) if "rung" in values else (self.detail.rung if self.detail else Rung.PROSPECT),
        )
        return data, values["referred_by"].strip()

    def commit(self, services, payload: tuple[PartyIn, str]) -> tuple[int, tuple[str, ...]]:  # noqa: ANN001
        data, referred_by = payload
        if referred_by:
            if self.detail and self.detail.referred_by and referred_by == self.detail.referred_by.name:
                referrer = self.detail.referred_by.id
            else:
                referrer = services.resolve_party(referred_by).id
            data = PartyIn(**{**data.__dict__, "referred_by_id": referrer})
        if self.detail is None:
            return services.add_party(data), ()
        self.kept_before = ()
        return self.detail.id, services.edit_party(self.detail.id, data, base=self.base)

    def _retry(self, services, data: PartyIn, base: PartyIn) -> tuple[int, tuple[str, ...]]:  # noqa: ANN001
        """Save a settled conflict, merged again against the profile stored when it was found."""
        return self.detail.id, services.edit_party(self.detail.id, data, base=base)

    def _refused(self, error: ReltuiError) -> None:
        if not isinstance(error, EditConflict):
            super()._refused(error)
            return
        from reltui.tui.modals.conflict import ConflictModal

        def settled(data: PartyIn | None) -> None:
            if data is None:
                self.show_error("Not saved: it changed elsewhere too; ctrl+s asks again.")
                return
            self.show_error("")
            self.kept_before = error.merge.kept
            self.app.run_db(self._retry, self.app.services, data, error.current, then=self._saved,
                            on_error=self._refused, group="form-save", exclusive=True)

        self.app.push_screen(ConflictModal(error), settled)

    def finished(self, result: tuple[int, tuple[str, ...]]) -> int:
        return result[0]

    def done(self, result: tuple[int, tuple[str, ...]]) -> str:
        if self.detail is None:
            return "Party added."
        kept = [FIELD_LABELS[f] for f in dict.fromkeys((*self.kept_before, *result[1]))]
        if not kept:
            return "Saved."
        fields = kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"
        return f"Saved; kept the {fields} changed elsewhere."


# -- a contact -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactIn:
    party: PartyRef
    subject: str
    channel: str
    direction: str
    day: date | None
    at: time | None
    outcome: str
    notes: str


class ContactForm(PartyBound):
    heading = "Log a contact"

    def fields(self) -> Sequence[Field]:
        return [
            *_party_field(self.given),
            Field("subject", "Subject", required=True, placeholder="what it was about; Enter saves"),
            Field("channel", "Channel", "choice", value=Channel.CALL.value, choices=_choices(Channel),
                  required=True),
            Field("direction", "Direction", "choice", value=Direction.OUTBOUND.value,
                  choices=_choices(Direction), required=True),
            Field("when", "When", "due", placeholder="empty: now; or yesterday 15:00, mon, 2026-11-20"),
            Field("outcome", "Outcome", placeholder="optional"),
            Field("notes", "Notes", "notes"),
        ]

    def build(self, values: dict[str, str]) -> ContactIn:
        party = self.target()
        if not values["subject"].strip():
            raise FieldError("subject", "Say in a few words what the contact was about.")
        day, at = (None, None)
        if values["when"].strip():
            day, at = self.parse_date_field(values, "when", kind="due")
        return ContactIn(party, values["subject"], values["channel"], values["direction"], day, at,
                         values["outcome"], values["notes"])

    def commit(self, services, c: ContactIn) -> int:  # noqa: ANN001
        at = services.when_from(c.day, c.at) if c.day is not None else None
        return services.log_interaction(c.party.id, c.subject, channel=c.channel,
                                        direction=c.direction, at=at, notes=c.notes,
                                        outcome=c.outcome or None)

    def finished(self, result: int) -> int:
        return result

    def done(self, result: int) -> str:
        return f"Contact logged with {for_terminal(self.target().name)}."


# -- a follow-up -----------------------------------------------------------------------------

class FollowUpForm(PartyBound):
    heading = "Schedule a follow-up"

    def fields(self) -> Sequence[Field]:
        return [
            *_party_field(self.given),
            Field("due", "Due", "due", required=True,
                  placeholder="tomorrow, +3d, 2w, next fri 10:00, 2026-12-01"),
            Field("text", "About", required=True, placeholder="what to get in touch about"),
            Field("priority", "Priority", "choice", value=Priority.NORMAL.value,
                  choices=_choices(Priority), required=True),
            Field("repeat", "Repeat", "choice", choices=_choices(Repeat)),
        ]

    def build(self, values: dict[str, str]) -> tuple:
        party = self.target()
        day, at = self.parse_date_field(values, "due", kind="due")
        if not values["text"].strip():
            raise FieldError("text", "Say what to get in touch about.")
        return party, day, at, values["text"], values["priority"], values["repeat"] or None

    def commit(self, services, payload: tuple) -> int:  # noqa: ANN001
        party, day, at, text, priority, repeat = payload
        return services.schedule_follow_up(party.id, day, text, due_time=at, priority=priority,
                                           repeat=repeat)

    def done(self, result: int) -> str:
        return f"Follow-up scheduled with {for_terminal(self.target().name)}."


class RescheduleForm(Form):
    """Snooze or reschedule one follow-up: 1 = +1 day, w = +1 week, or a typed date."""

    def __init__(self, follow_up: FollowUpRow) -> None:
        super().__init__()
        self.follow_up = follow_up
        self.form_title = f"Snooze: {for_terminal(follow_up.text)} ({for_terminal(follow_up.party_name)})"

    def fields(self) -> Sequence[Field]:
        return [Field("due", "New date", "due", required=True,
                      placeholder="+1d, +1w, next mon, 2026-12-01 9:00")]

    def build(self, values: dict[str, str]) -> tuple[date, time | None]:
        return self.parse_date_field(values, "due", kind="due")

    def commit(self, services, payload: tuple[date, time | None]) -> date:  # noqa: ANN001
        day, at = payload
        services.reschedule_follow_up(self.follow_up.id, day,
                                      due_time=at if at is not None else self.follow_up.due_time)
        return day

    def done(self, day: date) -> str:
        return f"Moved to {day:%a} {day.day} {day:%b %Y}."


# -- purchases, feedback, defection, rung steps -------------------------------------------

class PurchaseForm(PartyBound):
    heading = "Record a purchase"

    def fields(self) -> Sequence[Field]:
        return [
            *_party_field(self.given),
            Field("revenue", "Revenue", required=True, placeholder="120 or 99.50"),
            Field("cost", "Cost to serve", placeholder="optional; profit = revenue - cost"),
            Field("what", "What", placeholder="what was bought"),
            Field("on", "On", "date", placeholder="empty: today"),
        ]

    def build(self, values: dict[str, str]) -> tuple:
        party = self.target()
        try:
            revenue = parse_money(values["revenue"], "revenue", allow_negative=True)
        except ReltuiError as exc:
            raise FieldError("revenue", exc.message) from None
        cost = None
        if values["cost"].strip():
            try:
                cost = parse_money(values["cost"], "cost")
            except ReltuiError as exc:
                raise FieldError("cost", exc.message) from None
        on = self.parse_date_field(values, "on", default=self.app.today)
        return party, revenue, cost, values["what"], on

    def commit(self, services, payload: tuple) -> int:  # noqa: ANN001
        party, revenue, cost, what, on = payload
        return services.record_purchase(party.id, revenue, cost=cost, what=what, on=on)

    done = "Purchase recorded."


class FeedbackForm(PartyBound):
    heading = "Record feedback"

    def fields(self) -> Sequence[Field]:
        return [
            *_party_field(self.given),
            Field("score", "Score 0-10", required=True,
                  placeholder="how likely are they to recommend us (0-10)"),
            Field("comment", "Comment"),
            Field("on", "On", "date", placeholder="empty: today"),
        ]

    def build(self, values: dict[str, str]) -> tuple:
        party = self.target()
        score = _int(values, "score", "The score", 0, 10)
        if score is None:
            raise FieldError("score", "A score from 0 to 10 is needed.")
        return party, score, values["comment"], self.parse_date_field(values, "on", default=self.app.today)

    def commit(self, services, payload: tuple) -> int:  # noqa: ANN001
        party, score, comment, on = payload
        return services.record_feedback(party.id, score, comment=comment, on=on)

    done = "Feedback recorded."


class DefectForm(PartyBound):
    heading = "Mark as defected"

    def fields(self) -> Sequence[Field]:
        labels = {reason: REASON_MEANING[reason] if REASON_MEANING[reason] == reason.value
                  else f"{REASON_MEANING[reason]} ({reason.value})" for reason in Reason}
        return [
            *_party_field(self.given),
            Field("reason", "Reason", "choice", choices=_choices(Reason, labels), required=True),
            Field("note", "Note", placeholder="the root cause, not the symptom"),
            Field("on", "On", "date", placeholder="empty: today"),
        ]

    def build(self, values: dict[str, str]) -> tuple:
        party = self.target()
        if not values["reason"]:
            raise FieldError("reason", "Pick the reason they left.")
        return party, values["reason"], values["note"], self.parse_date_field(values, "on", default=self.app.today)

    def commit(self, services, payload: tuple) -> int:  # noqa: ANN001
        party, reason, note, on = payload
        return services.defect(party.id, reason, note=note, on=on)

    done = "Marked as defected; the history stays."


class RungStepForm(Form):
    """Climb or descend one rung, with an optional note saying why."""

    def __init__(self, party: PartyRef, current: Rung, step: int) -> None:
        super().__init__()
        self.party_ref = party
        self.step = step
        target = current.up() if step > 0 else current.down()
        if target is None:
            raise ValueError("no rung that way")
        self.target_rung = target
        verb = "Climb" if step > 0 else "Descend"
        self.form_title = f"{verb} {for_terminal(party.name)}: {current.value} → {target.value}"

    def fields(self) -> Sequence[Field]:
        return [Field("note", "Why", placeholder="optional; Enter moves the rung")]

    def build(self, values: dict[str, str]) -> str:
        return values["note"]

    def commit(self, services, note: str) -> Any:  # noqa: ANN001
        return services.move_rung(self.party_ref.id, self.target_rung, note=note)

    def done(self, rung: Rung) -> str:
        return f"{for_terminal(self.party_ref.name)} is now {rung.value}."


class TagPrompt(Form):
    """Type the tag to show (empty: every tag)."""

    form_title = "Show parties with the tag"

    def __init__(self, tag: str = "") -> None:
        super().__init__()
        self.tag = tag

    def fields(self) -> Sequence[Field]:
        return [Field("tag", "Tag", value=self.tag, placeholder="empty shows every tag")]

    def action_save(self) -> None:
        self.dismiss(self.values()["tag"].strip().lower())
