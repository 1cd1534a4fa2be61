"""Plain frozen data that services hand to the faces (never live ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, PartyType, Rung


@dataclass(frozen=True)
class PartyIn:
    """What a form or the command line gives to add or edit a party."""

    name: str
    party_type: PartyType = PartyType.PERSON
    kind: Kind = Kind.CUSTOMER
    organisation: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    address: str | None = None
    birthday: Birthday | None = None
    tags: tuple[str, ...] = ()
    notes: str = ""
    source: str | None = None
    referred_by_id: int | None = None
    cadence_days: int | None = None
    payment_terms_days: int | None = None
    renewal_on: date | None = None
    rung: Rung = Rung.PROSPECT  # used when adding; editing never moves the rung
    owner: str | None = None  # used when adding (None: whoever adds it); assign_owner changes it


@dataclass(frozen=True)
class PartyRef:
    id: int
    name: str


@dataclass(frozen=True)
class PartyRow:
    """One line of the Parties list."""

    id: int
    name: str
    organisation: str | None
    kind: Kind
    rung: Rung
    last_contact_at: datetime | None
    next_follow_up_on: date | None
    revenue: Decimal
    defected_on: date | None
    owner: str | None = None

    @property
    def active(self) -> bool:
        return self.defected_on is None


@dataclass(frozen=True)
class DefectionInfo:
    id: int
    on_date: date
    reason: str
    note: str
    won_back_on: date | None


@dataclass(frozen=True)
class PartyDetail:
    id: int
    name: str
    party_type: PartyType
    kind: Kind
    organisation: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    address: str | None
    birthday: Birthday | None
    tags: tuple[str, ...]
    notes: str
    source: str | None
    referred_by: PartyRef | None
    referrals: int
    cadence_days: int | None
    payment_terms_days: int | None
    renewal_on: date | None
    rung: Rung
    rung_since: date
    suggested_rung: Rung
    defected_on: date | None
    defection: DefectionInfo | None
    created_on: date
    updated_at: datetime
    revenue: Decimal
    cost: Decimal
    purchases: int
    last_contact_at: datetime | None
    next_follow_up_on: date | None
    days_past_cadence: int | None
    owner: str | None = None  # the point of contact; None = unassigned

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def active(self) -> bool:
        return self.defected_on is None

    def to_input(self) -> PartyIn:
        """The party as an edit form starts from."""
        return PartyIn(
            name=self.name, party_type=self.party_type, kind=self.kind,
            organisation=self.organisation, emails=self.emails, phones=self.phones,
            address=self.address, birthday=self.birthday, tags=self.tags, notes=self.notes,
            source=self.source, referred_by_id=self.referred_by.id if self.referred_by else None,
            cadence_days=self.cadence_days, payment_terms_days=self.payment_terms_days,
            renewal_on=self.renewal_on, rung=self.rung,
        )


@dataclass(frozen=True)
class TimelineEntry:
    """One item of a party's 360-degree view, newest first."""

    kind: str  # interaction | rung | purchase | feedback | follow-up | defection | win-back
    when: datetime
    title: str
    detail: str = ""
    ref_id: int | None = None


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    party_id: int
    party_name: str
    due_on: date
    due_time: time | None
    text: str
    priority: str
    repeat: str | None
    status: str
    done_on: date | None


@dataclass(frozen=True)
class DatedParty:
    """A party with a date that concerns it: a birthday, a renewal."""

    party_id: int
    party_name: str
    on: date
    detail: str = ""


@dataclass(frozen=True)
class ColdParty:
    party_id: int
    party_name: str
    last_contact_at: datetime | None
    cadence_days: int
    days_past: int


@dataclass(frozen=True)
class TodayView:
    today: date
    overdue: list[FollowUpRow] = field(default_factory=list)
    due_today: list[FollowUpRow] = field(default_factory=list)
    birthdays: list[DatedParty] = field(default_factory=list)
    renewals: list[DatedParty] = field(default_factory=list)
    going_cold: list[ColdParty] = field(default_factory=list)
    going_cold_total: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.birthdays or self.renewals
                    or self.going_cold)


@dataclass(frozen=True)
class Deletion:
    """What deleting a party takes with it (shown before, reported after)."""

    party: PartyRef
    interactions: int
    follow_ups: int
    purchases: int
    feedback: int
    rung_steps: int
    defections: int
    referrals_unlinked: int

    def describe(self) -> str:
        parts = [f"{n} {label}" for n, label in (
            (self.interactions, "interactions"), (self.follow_ups, "follow-ups"),
            (self.purchases, "purchases"), (self.feedback, "feedback entries"),
            (self.rung_steps, "rung steps"), (self.defections, "defections"),
        ) if n]
        text = ", ".join(parts) if parts else "no history"
        if self.referrals_unlinked:
            text += f"; {self.referrals_unlinked} parties will no longer show who referred them"
        return text
