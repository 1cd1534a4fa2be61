"""The tables as SQLModel classes: the query layer's view of the schema.

The schema itself is made by `migrations` (frozen SQL per version); a test
checks that these classes and the migrated database agree column for column.
Money is kept in integer cents so that sums in SQL are exact.  Moments are
naive local time (NaiveDatetime): a contact logged at 9:00 was at 9:00 where the
manager sits, and one person's book has one clock.
"""

from __future__ import annotations

from datetime import date, time

from pydantic import NaiveDatetime
from sqlalchemy import Column, Computed, Integer
from sqlmodel import Field, SQLModel


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class Party(SQLModel, table=True):
    __tablename__ = "party"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    party_type: str = "person"
    kind: str = "customer"
    organisation: str | None = None
    address: str | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    birthday_year: int | None = None
    notes: str = ""
    source: str | None = None
    referred_by_id: int | None = Field(default=None, foreign_key="party.id")
    cadence_days: int | None = None
    payment_terms_days: int | None = None
    renewal_on: date | None = None
    rung: str = "prospect"
    rung_since: date
    defected_on: date | None = None
    created_on: date
    updated_at: NaiveDatetime
    # rollups (schema version 2), refreshed by store.rollups
    last_contact_at: NaiveDatetime | None = None
    next_follow_up_on: date | None = None
    first_purchase_on: date | None = None
    purchase_count: int = 0
    second_purchase_on: date | None = None  # schema version 6
    revenue_cents: int = 0
    cost_cents: int = 0
    rung_level: int | None = Field(
        default=None,
        sa_column=Column(Integer, Computed("CASE rung WHEN 'prospect' THEN 0 END")),
    )
    owner: str | None = None  # schema version 5: the point of contact; None = unassigned


class ContactPoint(SQLModel, table=True):
    __tablename__ = "contact_point"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    kind: str
    value: str
    label: str | None = None
    norm: str
    position: int = 0


class PartyTag(SQLModel, table=True):
    __tablename__ = "party_tag"
    party_id: int = Field(foreign_key="party.id", primary_key=True)
    tag: str = Field(primary_key=True)


class RungStep(SQLModel, table=True):
    __tablename__ = "rung_step"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    from_rung: str | None = None
    to_rung: str
    on_date: date
    note: str = ""
    made_by: str | None = None  # schema version 5: who made it


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    at: NaiveDatetime
    channel: str
    direction: str
    subject: str
    notes: str = ""
    outcome: str | None = None
    made_by: str | None = None  # schema version 5: who made it


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    due_on: date
    due_time: time | None = None
    text: str
    priority: str = "normal"
    repeat: str | None = None
    status: str = "open"
    done_on: date | None = None
    created_on: date
    made_by: str | None = None  # schema version 5: who made it


class Purchase(SQLModel, table=True):
    __tablename__ = "purchase"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    on_date: date
    what: str = ""
    revenue_cents: int
    cost_cents: int | None = None
    made_by: str | None = None  # schema version 5: who made it


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    on_date: date
    score: int
    comment: str = ""
    made_by: str | None = None  # schema version 5: who made it


class Defection(SQLModel, table=True):
    __tablename__ = "defection"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    on_date: date
    reason: str
    note: str = ""
    won_back_on: date | None = None
    made_by: str | None = None  # schema version 5: who made it


# Tables in dependency order: what a backup writes and a restore reads.
TABLES = [Setting, Party, ContactPoint, PartyTag, RungStep, Interaction, FollowUp,
          Purchase, Feedback, Defection]
