"""The use cases: the one door that the TUI and the command line both use.

Every method is one transaction; every refusal raises a ReltuiError whose
message is fit to show a user; reads return frozen records from
`reltui.domain.records`, never live ORM rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Connection, delete, func, insert, select, update

from reltui.domain import text as txt
from reltui.domain.dates import Birthday, next_occurrence
from reltui.domain.enums import (
    Channel, Direction, FollowUpStatus, Kind, PartyType, Priority, Reason, Repeat, Rung,
)
from reltui.domain.errors import Ambiguous, EditConflict, InvalidInput, NotFound
from reltui.domain.ladder import suggest_rung
from reltui.domain.merge import canonical, merge_party
from reltui.domain.money import from_cents, parse_money, to_cents
from reltui.domain.records import (
    DefectionInfo, Deletion, FollowUpRow, PartyDetail, PartyIn,
    PartyRef, TimelineEntry,
)
from reltui.services.reads import UNASSIGNED, Reads, clean_name
from reltui.store import rollups
from reltui.store.models import (
    ContactPoint, Defection, Feedback, FollowUp, Interaction, Party, PartyTag, Purchase,
    RungStep, Setting,
)

P = Party.__table__
CP = ContactPoint.__table__
TAG = PartyTag.__table__
STEP = RungStep.__table__
INT = Interaction.__table__
FU = FollowUp.__table__
BUY = Purchase.__table__
FB = Feedback.__table__
DEF = Defection.__table__
SET = Setting.__table__


class Services(Reads):
    """Use cases over one Store. `clock` gives 'now' (tests freeze it); the clock, `today()`
    and the reads written as plain SQL (`due`) come from `Reads`."""

    # -- settings ---------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self.store.read() as conn:
            value = conn.execute(select(SET.c.value).where(SET.c.key == key)).scalar()
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        with self.store.write() as conn:
            conn.execute(delete(SET).where(SET.c.key == key))
            conn.execute(insert(SET).values(key=key, value=value))

    # -- parties ----------------------------------------------------------------------------

    def add_party(self, data: PartyIn) -> int:
        values = self.party_values(data)
        owner = self.user if data.owner is None else clean_name(data.owner)
        today = self.today()
        with self.store.write() as conn:
            if data.referred_by_id is not None:
                self._require_party(conn, data.referred_by_id)
            rung = Rung.parse(data.rung)
            party_id = conn.execute(
                insert(P).values(**values, rung=rung.value, rung_since=today, created_on=today,
                                 updated_at=self.now(), owner=owner)
            ).inserted_primary_key[0]
            conn.execute(insert(STEP).values(party_id=party_id, from_rung=None, to_rung=rung.value,
                                             on_date=today, note="added", made_by=self.user))
            self._write_contacts_and_tags(conn, party_id, data)
        return party_id

    def edit_party(self, party_id: int, data: PartyIn, *, base: PartyIn | None = None,
                   expected_updated_at: datetime | None = None) -> tuple[str, ...]:
        """Replace a party's profile (its rung moves only through move_rung).

        `base` is the profile as the form was opened. Given, the edit is merged field by
        field with whatever was saved since (another terminal, a colleague): a field only
        they changed keeps their value, a field only this edit changed takes it; a field both
        changed differently refuses the whole edit with EditConflict (nothing written).
        Returns the fields whose change made elsewhere was kept (FIELD_LABELS keys).
        `expected_updated_at` (older callers) refuses any edit once the party was saved since."""
        self.party_values(data)  # refuse bad input before waiting for the write lock
        kept: tuple[str, ...] = ()
        with self.store.write() as conn:
            # FOR UPDATE: on a server database another edit of this party waits for ours
            current = conn.execute(select(P).where(P.c.id == party_id).with_for_update()).first()
            if current is None:
                raise NotFound(f"There is no party #{party_id}.")
            if expected_updated_at is not None and current.updated_at != expected_updated_at:
                raise InvalidInput(
                    f"{current.name} was changed elsewhere since you opened it; "
                    "reopen it to see the changes, then edit again."
                )
            if base is not None:
                theirs = canonical(self._profile(conn, current))
                outcome = merge_party(canonical(base), theirs, canonical(data))
                if outcome.conflicts:
                    ids = {v for c in outcome.conflicts if c.field == "referred_by_id"
                           for v in (c.base, c.theirs, c.mine) if v is not None}
                    names = dict(conn.execute(select(P.c.id, P.c.name).where(P.c.id.in_(ids))).all()) \
                        if ids else {}
                    raise EditConflict(current.name, outcome, theirs, names)
                data, kept = outcome.merged, outcome.kept
            values = self.party_values(data)
            if data.referred_by_id is not None:
                if data.referred_by_id == party_id:
                    raise InvalidInput("A party can't be referred by itself.")
                self._require_party(conn, data.referred_by_id)
            conn.execute(update(P).where(P.c.id == party_id).values(**values, updated_at=self.now()))
            # A form shows numbers and addresses without their labels ("work", "mobile" from
            # an imported card): a contact point that stays keeps its label.
            labels = {(kind, norm): label for kind, norm, label in conn.execute(
                select(CP.c.kind, CP.c.norm, CP.c.label).where(CP.c.party_id == party_id))}
            conn.execute(delete(CP).where(CP.c.party_id == party_id))
            conn.execute(delete(TAG).where(TAG.c.party_id == party_id))
            self._write_contacts_and_tags(conn, party_id, data, labels)
        return kept

    def _profile(self, conn: Connection, row) -> PartyIn:  # noqa: ANN001 - a party row
        """A party's profile as an edit form is filled from it (PartyDetail.to_input)."""
        contacts = conn.execute(
            select(CP.c.kind, CP.c.value).where(CP.c.party_id == row.id).order_by(CP.c.kind, CP.c.position)
        ).all()
        tags = conn.execute(select(TAG.c.tag).where(TAG.c.party_id == row.id).order_by(TAG.c.tag)).scalars()
        return PartyIn(
            name=row.name, party_type=PartyType(row.party_type), kind=Kind(row.kind),
            organisation=row.organisation,
            emails=tuple(v for k, v in contacts if k == "email"),
            phones=tuple(v for k, v in contacts if k == "phone"),
            address=row.address,
            birthday=Birthday(row.birthday_month, row.birthday_day, row.birthday_year)
            if row.birthday_month else None,
            tags=tuple(tags), notes=row.notes, source=row.source, referred_by_id=row.referred_by_id,
            cadence_days=row.cadence_days, payment_terms_days=row.payment_terms_days,
            renewal_on=row.renewal_on, rung=Rung(row.rung),
        )

    def assign_owner(self, party_id: int, owner: str | None) -> str | None:
        """Make `owner` the party's point of contact (None: nobody); returns the owner set."""
        name = None if owner is None else clean_name(owner)
        with self.store.write() as conn:
            party = self._require_party(conn, party_id)
            if party.owner == name:
                who = name or "nobody"
                raise InvalidInput(f"{party.name} is already owned by {who}." if name
                                   else f"{party.name} already has no owner.")
            conn.execute(update(P).where(P.c.id == party_id).values(owner=name, updated_at=self.now()))
        return name

    def known_people(self, *, makers: bool = True) -> list[str]:
        """Me first, then by name everyone the book knows as an owner of a party and (with
        `makers`) as a maker of records: the names an owner prompt offers. The owner filter
        cycles through the owners alone (read from ix_party_owner: quick at any size; the
        makers are read from every history table, a second or so at 100,000 parties)."""
        names = {self.user}
        with self.store.read() as conn:
            names.update(conn.execute(select(P.c.owner).where(P.c.owner.is_not(None)).distinct()).scalars())
            for table in (INT, FU, BUY, STEP, FB, DEF) if makers else ():
                names.update(conn.execute(select(table.c.made_by).where(table.c.made_by.is_not(None))
                                          .distinct()).scalars())
        return [self.user, *sorted(names - {self.user}, key=str.lower)]

    def deletion_impact(self, party_id: int) -> Deletion:
        with self.store.read() as conn:
            return self._deletion(conn, party_id)

    def delete_party(self, party_id: int) -> Deletion:
        """Delete a party and everything recorded about it (the only way data goes)."""
        with self.store.write() as conn:
            impact = self._deletion(conn, party_id)
            conn.execute(delete(P).where(P.c.id == party_id))
        return impact

    def _deletion(self, conn: Connection, party_id: int) -> Deletion:
        party = self._require_party(conn, party_id)

        def count(table) -> int:  # noqa: ANN001
            return conn.execute(
                select(func.count()).select_from(table).where(table.c.party_id == party_id)
            ).scalar_one()

        return Deletion(
            party=PartyRef(party.id, party.name), interactions=count(INT), follow_ups=count(FU),
            purchases=count(BUY), feedback=count(FB), rung_steps=count(STEP),
            defections=count(DEF),
            referrals_unlinked=conn.execute(
                select(func.count()).select_from(P).where(P.c.referred_by_id == party_id)
            ).scalar_one(),
        )

    def party_values(self, data: PartyIn) -> dict:
        """The party's columns, checked by the rules every way in shares (forms, CLI, imports)."""
        kind = Kind.parse(data.kind)
        party_type = PartyType.parse(data.party_type)
        birthday = data.birthday
        if birthday is not None and not isinstance(birthday, Birthday):
            raise InvalidInput("The birthday must be a date.")
        values = {
            "name": txt.clean(data.name, "name", required=True),
            "party_type": party_type.value,
            "kind": kind.value,
            "organisation": txt.optional(data.organisation, "organisation"),
            "address": txt.optional(data.address, "address", multiline=True),
            "birthday_month": birthday.month if birthday else None,
            "birthday_day": birthday.day if birthday else None,
            "birthday_year": birthday.year if birthday else None,
            "notes": txt.clean(data.notes, "notes", multiline=True),
            "source": txt.optional(data.source, "source"),
            "referred_by_id": data.referred_by_id,
            "cadence_days": _bounded_int(data.cadence_days, "contact cadence", 1, 3650, "days"),
            "payment_terms_days": _bounded_int(data.payment_terms_days, "payment terms", 0, 3650, "days"),
            "renewal_on": data.renewal_on,
        }
        return values

    def _write_contacts_and_tags(self, conn: Connection, party_id: int, data: PartyIn,
                                 labels: dict[tuple[str, str], str | None] | None = None) -> None:
        rows = [{**point, "party_id": party_id, "position": position}
                for position, point in enumerate(txt.contact_points(data.emails, data.phones))]
        for row in rows:
            if row["label"] is None and labels:
                row["label"] = labels.get((row["kind"], row["norm"]))
        if rows:
            conn.execute(insert(CP), rows)
        tags = txt.clean_tags(data.tags)
        if tags:
            conn.execute(insert(TAG), [{"party_id": party_id, "tag": t} for t in tags])

    def _require_party(self, conn: Connection, party_id: int):  # noqa: ANN202
        row = conn.execute(select(P).where(P.c.id == party_id)).first()
        if row is None:
            raise NotFound(f"There is no party #{party_id}.")
        return row

    def resolve_party(self, ref: str | int) -> PartyRef:
        """An id, an exact name, or a unique part of a name -> the party."""
        text_ref = str(ref).strip()
        if not text_ref:
            raise InvalidInput("Name a party (an id, a name, or part of a name).")
        with self.store.read() as conn:
            ident = text_ref[1:] if text_ref.startswith("#") else text_ref
            if ident.isdigit():
                row = conn.execute(select(P.c.id, P.c.name).where(P.c.id == int(ident))).first()
                if row:
                    return PartyRef(row.id, row.name)
                if text_ref.startswith("#"):
                    raise NotFound(f"There is no party #{ident}.")
            exact = conn.execute(
                select(P.c.id, P.c.name).where(func.lower(P.c.name) == text_ref.lower())
                .order_by(P.c.id).limit(11)
            ).all()
            rows = exact or conn.execute(
                select(P.c.id, P.c.name)
                .where(P.c.name.ilike(f"%{_escape_like(text_ref)}%", escape="\\"))
                .order_by(func.lower(P.c.name), P.c.id).limit(11)
            ).all()
        if not rows:
            raise NotFound(f"No party matches {text_ref!r}.")
        if len(rows) > 1:
            names = [f"{r.name} (#{r.id})" for r in rows[:10]]
            more = " and more" if len(rows) > 10 else ""
            raise Ambiguous(
                f"{text_ref!r} matches several parties: {', '.join(names)}{more}; "
                "give the id or more of the name.",
                candidates=names,
            )
        return PartyRef(rows[0].id, rows[0].name)

    def get_party(self, party_id: int) -> PartyDetail:
        with self.store.read() as conn:
            row = self._require_party(conn, party_id)
            contacts = conn.execute(
                select(CP.c.kind, CP.c.value).where(CP.c.party_id == party_id)
                .order_by(CP.c.kind, CP.c.position)
            ).all()
            tags = conn.execute(
                select(TAG.c.tag).where(TAG.c.party_id == party_id).order_by(TAG.c.tag)
            ).scalars().all()
            referrer = None
            if row.referred_by_id is not None:
                ref = conn.execute(select(P.c.id, P.c.name).where(P.c.id == row.referred_by_id)).first()
                referrer = PartyRef(ref.id, ref.name) if ref else None
            referrals = conn.execute(
                select(func.count()).select_from(P).where(P.c.referred_by_id == party_id)
            ).scalar_one()
            open_defection = conn.execute(
                select(DEF).where(DEF.c.party_id == party_id).order_by(DEF.c.on_date.desc(), DEF.c.id.desc())
                .limit(1)
            ).first()
        birthday = None
        if row.birthday_month:
            birthday = Birthday(row.birthday_month, row.birthday_day, row.birthday_year)
        days_past = None
        if row.cadence_days:
            last = row.last_contact_at.date() if row.last_contact_at else row.created_on
            days_past = max(0, (self.today() - last).days - row.cadence_days)
        return PartyDetail(
            id=row.id, name=row.name, party_type=PartyType(row.party_type), kind=Kind(row.kind),
            organisation=row.organisation,
            emails=tuple(v for k, v in contacts if k == "email"),
            phones=tuple(v for k, v in contacts if k == "phone"),
            address=row.address, birthday=birthday, tags=tuple(tags), notes=row.notes,
            source=row.source, referred_by=referrer, referrals=referrals,
            cadence_days=row.cadence_days, payment_terms_days=row.payment_terms_days,
            renewal_on=row.renewal_on, rung=Rung(row.rung), rung_since=row.rung_since,
            suggested_rung=suggest_rung(row.purchase_count, referrals),
            defected_on=row.defected_on,
            defection=(DefectionInfo(open_defection.id, open_defection.on_date, open_defection.reason,
                                     open_defection.note, open_defection.won_back_on)
                       if open_defection else None),
            created_on=row.created_on, updated_at=row.updated_at,
            revenue=from_cents(row.revenue_cents), cost=from_cents(row.cost_cents),
            purchases=row.purchase_count, last_contact_at=row.last_contact_at,
            next_follow_up_on=row.next_follow_up_on, days_past_cadence=days_past,
            owner=row.owner,
        )

    # -- the Parties list -------------------------------------------------------------------

    def tier_members(self, tier: str) -> list[int]:
        """The ids of the parties in a tier of the customer pyramid (the 12 months to today)."""
        from reltui.services.metrics import drill_down

        return [row.party_id for row in drill_down(f"pyramid:{tier}", self, limit=10_000_000).rows]

    def tags(self) -> list[tuple[str, int]]:
        with self.store.read() as conn:
            return [tuple(r) for r in conn.execute(
                select(TAG.c.tag, func.count()).group_by(TAG.c.tag).order_by(TAG.c.tag))]

    def party_names(self, limit: int = 1_000_000) -> list[PartyRef]:
        """Every party's id and name (for the command palette)."""
        with self.store.read() as conn:
            return [PartyRef(r.id, r.name) for r in conn.execute(
                select(P.c.id, P.c.name).order_by(func.lower(P.c.name), P.c.id).limit(limit))]

    # -- the ladder -------------------------------------------------------------------------

    def move_rung(self, party_id: int, to: Rung | str, *, note: str = "", on: date | None = None) -> Rung:
        rung = Rung.parse(to)
        note = txt.clean(note, "note", multiline=True)
        on = on or self.today()
        with self.store.write() as conn:
            party = self._require_party(conn, party_id)
            if party.rung == rung.value:
                raise InvalidInput(f"{party.name} is already on the {rung.value} rung.")
            conn.execute(insert(STEP).values(party_id=party_id, from_rung=party.rung, to_rung=rung.value,
                                             on_date=on, note=note, made_by=self.user))
            conn.execute(update(P).where(P.c.id == party_id)
                         .values(rung=rung.value, rung_since=on, updated_at=self.now()))
        return rung

    def climb(self, party_id: int, *, note: str = "") -> Rung:
        return self._step(party_id, up=True, note=note)

    def descend(self, party_id: int, *, note: str = "") -> Rung:
        return self._step(party_id, up=False, note=note)

    def _step(self, party_id: int, *, up: bool, note: str) -> Rung:
        with self.store.read() as conn:
            party = self._require_party(conn, party_id)
        current = Rung(party.rung)
        target = current.up() if up else current.down()
        if target is None:
            where = "top" if up else "bottom"
            raise InvalidInput(f"{party.name} is already on the {where} rung ({current.value}).")
        return self.move_rung(party_id, target, note=note)

    # -- interactions -----------------------------------------------------------------------

    def log_interaction(self, party_id: int, subject: str, *, channel: Channel | str = Channel.CALL,
                        direction: Direction | str = Direction.OUTBOUND, at: datetime | None = None,
                        notes: str = "", outcome: str | None = None) -> int:
        values = {
            "party_id": party_id,
            "subject": txt.clean(subject, "subject", required=True),
            "channel": Channel.parse(channel).value,
            "direction": Direction.parse(direction).value,
            "at": (at or self.now()).replace(microsecond=0),
            "notes": txt.clean(notes, "notes", multiline=True),
            "outcome": txt.optional(outcome, "outcome"),
            "made_by": self.user,
        }
        if values["at"] > self.now() + timedelta(days=1):
            raise InvalidInput("A contact can't be logged in the future; schedule a follow-up instead.")
        with self.store.write() as conn:
            self._require_party(conn, party_id)
            new_id = conn.execute(insert(INT).values(**values)).inserted_primary_key[0]
            rollups.refresh(conn, [party_id])
        return new_id

    def when_from(self, day: date, at: time | None = None) -> datetime:
        """The moment to record for a contact typed as a date (and maybe a time)."""
        if at is not None:
            return datetime.combine(day, at)
        if day == self.today():
            return self.now()
        return datetime.combine(day, time(12, 0))

    # -- follow-ups -------------------------------------------------------------------------

    def schedule_follow_up(self, party_id: int, due_on: date, text_: str, *, due_time: time | None = None,
                           priority: Priority | str = Priority.NORMAL,
                           repeat: Repeat | str | None = None) -> int:
        values = {
            "party_id": party_id, "due_on": due_on, "due_time": due_time,
            "text": txt.clean(text_, "text", required=True),
            "priority": Priority.parse(priority).value,
            "repeat": Repeat.parse(repeat).value if repeat else None,
            "status": "open", "created_on": self.today(), "made_by": self.user,
        }
        with self.store.write() as conn:
            self._require_party(conn, party_id)
            new_id = conn.execute(insert(FU).values(**values)).inserted_primary_key[0]
            rollups.refresh(conn, [party_id])
        return new_id

    def complete_follow_up(self, follow_up_id: int, *, on: date | None = None) -> int | None:
        """Mark done; a repeating one schedules its next occurrence, whose id is returned."""
        on = on or self.today()
        with self.store.write() as conn:
            row = self._open_follow_up(conn, follow_up_id)
            conn.execute(update(FU).where(FU.c.id == follow_up_id).values(status="done", done_on=on))
            next_id = None
            if row.repeat:
                due = next_occurrence(row.due_on, row.repeat)
                while due <= on:
                    due = next_occurrence(due, row.repeat)
                next_id = conn.execute(insert(FU).values(
                    party_id=row.party_id, due_on=due, due_time=row.due_time, text=row.text,
                    priority=row.priority, repeat=row.repeat, status="open", created_on=on,
                    made_by=self.user,
                )).inserted_primary_key[0]
            rollups.refresh(conn, [row.party_id])
        return next_id

    def snooze_follow_up(self, follow_up_id: int, *, days: int | None = None,
                         until: date | None = None) -> date:
        """Push an open follow-up later: by days (from today if it is overdue) or to a date."""
        with self.store.read() as conn:
            row = self._open_follow_up(conn, follow_up_id)
        if until is None:
            if not days or days < 1:
                raise InvalidInput("Snooze by at least one day, or give a date.")
            until = max(row.due_on, self.today()) + timedelta(days=days)
        self.reschedule_follow_up(follow_up_id, until, due_time=row.due_time)
        return until

    def reschedule_follow_up(self, follow_up_id: int, due_on: date, *, due_time: time | None = None) -> None:
        if due_on < self.today():
            raise InvalidInput(f"{due_on:%d %b %Y} is in the past; pick today or later.")
        with self.store.write() as conn:
            row = self._open_follow_up(conn, follow_up_id)
            conn.execute(update(FU).where(FU.c.id == follow_up_id).values(due_on=due_on, due_time=due_time))
            rollups.refresh(conn, [row.party_id])

    def cancel_follow_up(self, follow_up_id: int) -> None:
        with self.store.write() as conn:
            row = self._open_follow_up(conn, follow_up_id)
            conn.execute(update(FU).where(FU.c.id == follow_up_id).values(status="cancelled"))
            rollups.refresh(conn, [row.party_id])

    def _open_follow_up(self, conn: Connection, follow_up_id: int):  # noqa: ANN202
        row = conn.execute(select(FU).where(FU.c.id == follow_up_id)).first()
        if row is None:
            raise NotFound(f"There is no follow-up #{follow_up_id}.")
        if row.status != FollowUpStatus.OPEN:
            raise InvalidInput(f"Follow-up #{follow_up_id} is already {row.status}.")
        return row

    def follow_ups(self, *, status: str = "open", due_before: date | None = None,
                   due_from: date | None = None, party_id: int | None = None,
                   offset: int = 0, limit: int = 500, owner: str | None = None) -> list[FollowUpRow]:
        """Follow-ups in due order (time, then id, breaks ties); with `owner`, those on the
        parties that person owns."""
        where = [FU.c.status == FollowUpStatus.parse(status).value, *_owned(owner)]
        if due_before is not None:
            where.append(FU.c.due_on < due_before)
        if due_from is not None:
            where.append(FU.c.due_on >= due_from)
        if party_id is not None:
            where.append(FU.c.party_id == party_id)
        stmt = (select(FU, P.c.name.label("party_name")).join(P, P.c.id == FU.c.party_id)
                .where(*where).order_by(FU.c.due_on, FU.c.due_time, FU.c.id)
                .offset(offset).limit(limit))
        with self.store.read() as conn:
            return [_follow_up_row(r) for r in conn.execute(stmt)]

    def count_follow_ups(self, *, status: str = "open", due_before: date | None = None,
                         due_from: date | None = None, owner: str | None = None) -> int:
        where = [FU.c.status == FollowUpStatus.parse(status).value]
        if due_before is not None:
            where.append(FU.c.due_on < due_before)
        if due_from is not None:
            where.append(FU.c.due_on >= due_from)
        if owner is not None:
            # the owner's parties, each probed in ix_follow_up_open: not every open follow-up
            where.append(FU.c.party_id.in_(select(P.c.id).where(*_owned(owner))))
        with self.store.read() as conn:
            return conn.execute(select(func.count()).select_from(FU).where(*where)).scalar_one()

    # -- purchases, feedback, defection ------------------------------------------------------

    def record_purchase(self, party_id: int, revenue: str | Decimal, *, cost: str | Decimal | None = None,
                        what: str = "", on: date | None = None) -> int:
        revenue_d = parse_money(revenue, "revenue", allow_negative=True)
        cost_d = None if cost in (None, "") else parse_money(cost, "cost")
        on = on or self.today()
        if on > self.today():
            raise InvalidInput("A purchase can't be dated in the future.")
        with self.store.write() as conn:
            party = self._require_party(conn, party_id)
            if party.defected_on is not None and on >= party.defected_on:
                raise InvalidInput(f"{party.name} has defected; win them back before recording a purchase.")
            new_id = conn.execute(insert(BUY).values(
                party_id=party_id, on_date=on, what=txt.clean(what, "what"),
                revenue_cents=to_cents(revenue_d),
                cost_cents=None if cost_d is None else to_cents(cost_d), made_by=self.user,
            )).inserted_primary_key[0]
            rollups.refresh(conn, [party_id])
        return new_id

    def record_feedback(self, party_id: int, score: int | str, *, comment: str = "",
                        on: date | None = None) -> int:
        try:
            value = int(str(score).strip())
        except ValueError:
            raise InvalidInput(f"The score must be a whole number from 0 to 10 (got {score!r}).") from None
        if not 0 <= value <= 10:
            raise InvalidInput(f"The score must be from 0 to 10 (got {value}).")
        on = on or self.today()
        with self.store.write() as conn:
            self._require_party(conn, party_id)
            return conn.execute(insert(FB).values(
                party_id=party_id, on_date=on, score=value,
                comment=txt.clean(comment, "comment", multiline=True), made_by=self.user,
            )).inserted_primary_key[0]

    def defect(self, party_id: int, reason: Reason | str, *, note: str = "", on: date | None = None) -> int:
        reason_t = Reason.parse(reason)
        on = on or self.today()
        if on > self.today():
            raise InvalidInput("A defection can't be dated in the future.")
        with self.store.write() as conn:
            party = self._require_party(conn, party_id)
            if party.defected_on is not None:
                raise InvalidInput(f"{party.name} is already marked defected (since {party.defected_on}).")
            new_id = conn.execute(insert(DEF).values(
                party_id=party_id, on_date=on, reason=reason_t.value,
                note=txt.clean(note, "note", multiline=True), made_by=self.user,
            )).inserted_primary_key[0]
            conn.execute(update(P).where(P.c.id == party_id).values(defected_on=on, updated_at=self.now()))
        return new_id

    def win_back(self, party_id: int, *, on: date | None = None) -> None:
        on = on or self.today()
        with self.store.write() as conn:
            party = self._require_party(conn, party_id)
            if party.defected_on is None:
                raise InvalidInput(f"{party.name} has not defected; there is nothing to win back.")
            if on < party.defected_on:
                raise InvalidInput("A win-back can't come before the defection.")
            conn.execute(update(DEF).where(DEF.c.party_id == party_id, DEF.c.won_back_on.is_(None))
                         .values(won_back_on=on))
            conn.execute(update(P).where(P.c.id == party_id).values(defected_on=None, updated_at=self.now()))

    # -- the timeline -----------------------------------------------------------------------

    def timeline(self, party_id: int, *, limit: int = 500) -> list[TimelineEntry]:
        """Interactions, rung steps, purchases, feedback, follow-ups and defections, newest first."""
        entries: list[TimelineEntry] = []
        noon = time(12, 0)
        me = self.user

        def by(r) -> str | None:  # noqa: ANN001 - who made it, when that was someone else
            return f"by {r.made_by}" if r.made_by and r.made_by != me else None
        with self.store.read() as conn:
            self._require_party(conn, party_id)
            for r in conn.execute(select(INT).where(INT.c.party_id == party_id)
                                  .order_by(INT.c.at.desc()).limit(limit)):
                entries.append(TimelineEntry("interaction", r.at, r.subject,
                                             _join(f"{r.channel}, {r.direction}", r.outcome, r.notes, by(r)), r.id))
            for r in conn.execute(select(STEP).where(STEP.c.party_id == party_id)
                                  .order_by(STEP.c.on_date.desc(), STEP.c.id.desc()).limit(limit)):
                title = (f"Rung {r.from_rung} → {r.to_rung}" if r.from_rung
                         else f"Started on the {r.to_rung} rung")
                entries.append(TimelineEntry("rung", datetime.combine(r.on_date, noon), title,
                                             _join(r.note, by(r)), r.id))
            for r in conn.execute(select(BUY).where(BUY.c.party_id == party_id)
                                  .order_by(BUY.c.on_date.desc()).limit(limit)):
                amount = from_cents(r.revenue_cents)
                cost = "" if r.cost_cents is None else f", cost {from_cents(r.cost_cents):,.2f}"
                entries.append(TimelineEntry("purchase", datetime.combine(r.on_date, noon),
                                             f"Bought {r.what or 'something'}: {amount:,.2f}{cost}",
                                             _join(by(r)), r.id))
            for r in conn.execute(select(FB).where(FB.c.party_id == party_id)
                                  .order_by(FB.c.on_date.desc()).limit(limit)):
                entries.append(TimelineEntry("feedback", datetime.combine(r.on_date, noon),
                                             f"Feedback {r.score}/10", _join(r.comment, by(r)), r.id))
            for r in conn.execute(select(FU).where(FU.c.party_id == party_id)
                                  .order_by(FU.c.due_on.desc()).limit(limit)):
                state = {"open": "due", "done": "done", "cancelled": "cancelled"}[r.status]
                repeat = f" (repeats {r.repeat})" if r.repeat else ""
                entries.append(TimelineEntry("follow-up", datetime.combine(r.due_on, r.due_time or noon),
                                             f"Follow-up {state}: {r.text}{repeat}", _join(by(r)), r.id))
            for r in conn.execute(select(DEF).where(DEF.c.party_id == party_id)):
                entries.append(TimelineEntry("defection", datetime.combine(r.on_date, noon),
                                             f"Defected: {r.reason}", _join(r.note, by(r)), r.id))
                if r.won_back_on:
                    entries.append(TimelineEntry("win-back", datetime.combine(r.won_back_on, noon),
                                                 "Won back", "", r.id))
        entries.sort(key=lambda e: (e.when, e.kind), reverse=True)
        return entries[:limit]

    # -- Today ------------------------------------------------------------------------------

def _owned(owner: str | None) -> list:
    """The WHERE terms keeping the parties (P) of `owner`: none for everyone (None)."""
    if owner is None:
        return []
    if owner == UNASSIGNED:
        return [P.c.owner.is_(None)]
    return [P.c.owner == clean_name(owner)]


def _follow_up_row(r) -> FollowUpRow:  # noqa: ANN001
    return FollowUpRow(r.id, r.party_id, r.party_name, r.due_on, r.due_time, r.text, r.priority,
                       r.repeat, r.status, r.done_on)


def _join(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _bounded_int(value: int | str | None, label: str, low: int, high: int, unit: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"The {label} must be a whole number of {unit} (got {value!r}).") from None
    if not low <= number <= high:
        raise InvalidInput(f"The {label} must be from {low} to {high} {unit} (got {number}).")
    return number
