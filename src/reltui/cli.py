"""The command line: `reltui` opens the TUI; `reltui COMMAND` does one thing and exits.

Bad input exits 2 with one line on stderr and changes nothing; no traceback
ever reaches the user (an unexpected failure prints one line too, and the
details, without any field values, go to a crash log in the data directory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reltui import __version__
from reltui.crash import write_crash_report
from reltui.domain.errors import ReltuiError
from reltui.domain.text import for_terminal

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class UsageError(ReltuiError):
    """A command line that can't be understood."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, not the usage block
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _add_db(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # --db works before or after the command name: the sub-parser's copy
    # only sets the value when given (SUPPRESS), so neither hides the other.
    parser.add_argument(
        "--db", metavar="DB", default=None if top else argparse.SUPPRESS,
        help="database file or SQLAlchemy URL (default: $RELTUI_DB, else reltui.db "
             "in your user data directory)",
    )


def _add_as(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # like --db: before or after the command name
    parser.add_argument(
        "--as", dest="as_user", metavar="NAME", default=None if top else argparse.SUPPRESS,
        help="who you are: records you make are made by NAME, new parties are NAME's, "
             "'mine' means NAME's (default: $RELTUI_AS, else your login name)",
    )


def user_name(given: str | None = None) -> str:
    """Who "I" am: --as, else $RELTUI_AS, else the login name, else "me"."""
    name = given if given is not None else os.environ.get("RELTUI_AS")
    if name is None or not name.strip():
        try:
            import getpass

            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name (a container, a bare uid): "me"
            name = "me"
    from reltui.services.reads import clean_name

    return clean_name(name or "me", "user")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reltui", description="A keyboard-driven relationship manager.")
    _add_db(parser, top=True)
    _add_as(parser, top=True)
    parser.add_argument("--version", action="version", version=f"reltui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_: str, handler: Callable) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        _add_db(p, top=False)
        _add_as(p, top=False)
        p.set_defaults(handler=handler)
        return p

    p = command("add", "add a party", cmd_add)
    p.add_argument("name")
    p.add_argument("--kind", default="customer",
                   help="customer (B2C), business, vendor, supplier, distributor, partner, other")
    p.add_argument("--type", dest="party_type", default=None, help="person or organisation")
    p.add_argument("--org", help="organisation")
    p.add_argument("--email", action="append", default=[])
    p.add_argument("--phone", action="append", default=[])
    p.add_argument("--birthday", help="e.g. 1980-12-01, dec 1, or year-less --12-01")
    p.add_argument("--rung", default="prospect")
    p.add_argument("--referred-by", metavar="PARTY")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--cadence", metavar="DAYS", help="days between touches")
    p.add_argument("--source", help="how they came: referral, walk-in, web, event, ...")
    p.add_argument("--address")
    p.add_argument("--notes", default="")
    p.add_argument("--terms", metavar="DAYS", help="payment terms in days (B2B)")
    p.add_argument("--renewal", metavar="DATE", help="contract renewal date (B2B)")
    p.add_argument("--owner", metavar="NAME", help="the party's point of contact (default: you)")

    p = command("assign", "change a party's owner (its point of contact)", cmd_assign)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("owner", metavar="OWNER", help="a name, 'me', or - (or none) for nobody")

    p = command("log", "log a contact with a party", cmd_log)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("subject", metavar="SUBJECT")
    p.add_argument("--channel", default="call",
                   help="call, email, meeting, message, social, visit, letter, note")
    p.add_argument("--direction", default="out", help="in or out")
    p.add_argument("--when", default=None, help="default: now")
    p.add_argument("--notes", default="")
    p.add_argument("--outcome", default=None)

    p = command("follow-up", "schedule a follow-up", cmd_follow_up)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("when", metavar="WHEN", help="e.g. tomorrow, +3d, next fri, 2026-12-01 09:30")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--repeat", choices=["weekly", "monthly", "quarterly", "yearly"])
    p.add_argument("--priority", default="normal", help="low, normal, high")

    p = command("done", "mark a follow-up done", cmd_done)
    p.add_argument("follow_up", metavar="FOLLOW_UP_ID")

    p = command("snooze", "push a follow-up later", cmd_snooze)
    p.add_argument("follow_up", metavar="FOLLOW_UP_ID")
    p.add_argument("until", metavar="WHEN", nargs="?", default="+1d", help="default: +1d")

    p = command("cancel", "cancel a follow-up", cmd_cancel)
    p.add_argument("follow_up", metavar="FOLLOW_UP_ID")

    p = command("rung", "move a party to a rung of the ladder", cmd_rung)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("rung", metavar="RUNG",
                   help="prospect, customer, client, supporter, advocate, partner")
    p.add_argument("--note", default="")

    p = command("buy", "record a purchase", cmd_buy)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("revenue", metavar="REVENUE")
    p.add_argument("--cost", default=None)
    p.add_argument("--what", default="")
    p.add_argument("--when", default=None, help="default: today")

    p = command("feedback", "record feedback (score 0-10)", cmd_feedback)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("score", metavar="SCORE")
    p.add_argument("--comment", default="")
    p.add_argument("--when", default=None, help="default: today")

    p = command("defect", "mark a party lost, with a reason", cmd_defect)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("reason", metavar="REASON",
                   help="price, service, quality, competitor, moved, no-need, other")
    p.add_argument("--note", default="")
    p.add_argument("--when", default=None, help="default: today")

    p = command("win-back", "mark a defected party won back", cmd_win_back)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("--when", default=None, help="default: today")

    p = command("delete", "delete a party and everything recorded about it", cmd_delete)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("--yes", action="store_true", help="do it (without it, only say what would go)")

    p = command("list", "list parties", cmd_list)
    p.add_argument("--rung")
    p.add_argument("--kind")
    p.add_argument("--tag")
    p.add_argument("--status", choices=["active", "defected", "all"], default="all")
    p.add_argument("--search", metavar="Q")
    p.add_argument("--sort", default="name",
                   choices=["name", "rung", "last_contact", "next_follow_up", "revenue"])
    p.add_argument("--desc", action="store_true")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--owner", metavar="NAME", default="all", help=OWNER_HELP)
    p.add_argument("--json", action="store_true")

    p = command("show", "show one party", cmd_show)
    p.add_argument("party", metavar="PARTY")
    p.add_argument("--json", action="store_true")

    p = command("due", "overdue and upcoming follow-ups", cmd_due)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--owner", metavar="NAME", default="all", help=OWNER_HELP)
    p.add_argument("--json", action="store_true")

    p = command("sample", "write a realistic sample book", cmd_sample)
    p.add_argument("path", metavar="PATH")
    p.add_argument("--parties", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--today", default=None, help="the date the sample is built around")

    p = command("settings", "show or change a setting", cmd_settings)
    p.add_argument("key", nargs="?", help="date-order (dmy, mdy or ymd)")
    p.add_argument("value", nargs="?")

    for module in COMMAND_MODULES:
        __import__(module, fromlist=["add_commands"]).add_commands(command)
    return parser


OWNER_HELP = ("whose parties: a name, mine, none (nobody's) or all (default: all)")

# Modules that add their own commands: each has add_commands(command), where
# command(name, help, handler) returns the sub-parser; handler(svc, args) -> exit code.
COMMAND_MODULES: list[str] = ["reltui.cli_metrics", "reltui.cli_interop"]


# -- helpers ---------------------------------------------------------------------------------

def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _safe(value: Any) -> str:
    return for_terminal(value)  # printable text comes back as it is


# Commands whose use cases are all plain-SQL reads (reltui.services.reads): they run
# without importing SQLAlchemy, a third of a second of every other command's start.
LIGHT_COMMANDS = frozenset({"due", "list"})


def _open(args: argparse.Namespace):  # noqa: ANN202
    from reltui.paths import default_db
    from reltui.store import open_store

    user = user_name(args.as_user)
    store = open_store(args.db or default_db())
    if args.command in LIGHT_COMMANDS:
        from reltui.services.reads import Reads

        return Reads(store, user=user)
    from reltui.services import Services

    return Services(store, user=user)


def _date_order(svc) -> str | None:  # noqa: ANN001
    return os.environ.get("RELTUI_DATE_ORDER") or svc.get_setting("date_order")


def _date(svc, text: str | None) -> date | None:  # noqa: ANN001
    from reltui.domain.dates import parse_date

    return None if text is None else parse_date(text, svc.today(), order=_date_order(svc))


def _party(svc, ref: str) -> int:  # noqa: ANN001
    return svc.resolve_party(ref).id


def _id(text: str, what: str) -> int:
    from reltui.domain.errors import InvalidInput

    text = text.strip().lstrip("#")
    if not text.isdigit():
        raise InvalidInput(f"The {what} id must be a number (got {text!r}).")
    return int(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def _print_json(data: Any) -> None:
    # ensure_ascii keeps every control character escaped: no raw escape byte from data.
    _out(json.dumps(data, default=_json_default, indent=2, ensure_ascii=True))


# -- commands --------------------------------------------------------------------------------

def cmd_add(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import parse_birthday
    from reltui.domain.enums import Kind, PartyType, Rung
    from reltui.domain.records import PartyIn

    kind = Kind.parse(args.kind)
    party_type = PartyType.parse(args.party_type) if args.party_type else (
        PartyType.PERSON if kind is Kind.CUSTOMER else PartyType.ORGANISATION)
    data = PartyIn(
        name=args.name, party_type=party_type, kind=kind, organisation=args.org,
        emails=tuple(args.email), phones=tuple(args.phone),
        birthday=parse_birthday(args.birthday, svc.today(), order=_date_order(svc)) if args.birthday else None,
        tags=tuple(args.tag), notes=args.notes, source=args.source, address=args.address,
        referred_by_id=_party(svc, args.referred_by) if args.referred_by else None,
        cadence_days=args.cadence, payment_terms_days=args.terms,
        renewal_on=_date(svc, args.renewal), rung=Rung.parse(args.rung),
        owner=_owner_name(svc, args.owner) if args.owner else None,
    )
    party_id = svc.add_party(data)
    _out(f"Added {_safe(data.name.strip())} (#{party_id}).")
    return EXIT_OK


def _owner_name(svc, text: str) -> str:  # noqa: ANN001
    """An owner to set: 'me' is who runs the command."""
    return svc.user if text.strip().lower() in ("me", "mine") else text


def cmd_assign(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    word = args.owner.strip().lower()
    owner = None if word in ("-", "none", "nobody", "unassigned") else _owner_name(svc, args.owner)
    set_to = svc.assign_owner(party.id, owner)
    _out(f"{_safe(party.name)} is now {_safe(set_to)}'s." if set_to
         else f"{_safe(party.name)} now has no owner.")
    return EXIT_OK


def cmd_log(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import parse_due

    party = svc.resolve_party(args.party)
    at = None
    if args.when:
        day, clock = parse_due(args.when, svc.today(), order=_date_order(svc))
        at = svc.when_from(day, clock)
    new_id = svc.log_interaction(party.id, args.subject, channel=args.channel,
                                 direction=args.direction, at=at, notes=args.notes,
                                 outcome=args.outcome)
    _out(f"Logged contact #{new_id} with {_safe(party.name)}.")
    return EXIT_OK


def cmd_follow_up(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import describe, parse_due

    party = svc.resolve_party(args.party)
    day, clock = parse_due(args.when, svc.today(), order=_date_order(svc))
    new_id = svc.schedule_follow_up(party.id, day, args.text, due_time=clock,
                                    priority=args.priority, repeat=args.repeat)
    repeat = f", repeating {args.repeat}" if args.repeat else ""
    _out(f"Follow-up #{new_id} with {_safe(party.name)}: {describe(day, svc.today())}{repeat}.")
    return EXIT_OK


def cmd_done(svc, args) -> int:  # noqa: ANN001
    follow_up = _id(args.follow_up, "follow-up")
    next_id = svc.complete_follow_up(follow_up)
    _out(f"Follow-up #{follow_up} done." + (f" Next one scheduled as #{next_id}." if next_id else ""))
    return EXIT_OK


def cmd_snooze(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import describe

    follow_up = _id(args.follow_up, "follow-up")
    until = svc.snooze_follow_up(follow_up, until=_date(svc, args.until))
    _out(f"Follow-up #{follow_up} moved to {describe(until, svc.today())}.")
    return EXIT_OK


def cmd_cancel(svc, args) -> int:  # noqa: ANN001
    follow_up = _id(args.follow_up, "follow-up")
    svc.cancel_follow_up(follow_up)
    _out(f"Follow-up #{follow_up} cancelled.")
    return EXIT_OK


def cmd_rung(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    rung = svc.move_rung(party.id, args.rung, note=args.note)
    _out(f"{_safe(party.name)} is now on the {rung.value} rung.")
    return EXIT_OK


def cmd_buy(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    new_id = svc.record_purchase(party.id, args.revenue, cost=args.cost, what=args.what,
                                 on=_date(svc, args.when))
    _out(f"Purchase #{new_id} recorded for {_safe(party.name)}.")
    return EXIT_OK


def cmd_feedback(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    new_id = svc.record_feedback(party.id, args.score, comment=args.comment, on=_date(svc, args.when))
    _out(f"Feedback #{new_id} recorded for {_safe(party.name)}.")
    return EXIT_OK


def cmd_defect(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    svc.defect(party.id, args.reason, note=args.note, on=_date(svc, args.when))
    _out(f"{_safe(party.name)} marked defected ({args.reason.strip().lower()}).")
    return EXIT_OK


def cmd_win_back(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    svc.win_back(party.id, on=_date(svc, args.when))
    _out(f"{_safe(party.name)} won back.")
    return EXIT_OK


def cmd_delete(svc, args) -> int:  # noqa: ANN001
    party = svc.resolve_party(args.party)
    if not args.yes:
        impact = svc.deletion_impact(party.id)
        _out(f"Deleting {_safe(party.name)} (#{party.id}) would also delete {impact.describe()}.")
        _out("Run again with --yes to delete.")
        return EXIT_OK
    impact = svc.delete_party(party.id)
    _out(f"Deleted {_safe(party.name)} (#{party.id}) with {impact.describe()}.")
    return EXIT_OK


def _party_row_json(row) -> dict:  # noqa: ANN001
    return {
        "id": row.id, "name": row.name, "organisation": row.organisation, "kind": row.kind.value,
        "rung": row.rung.value, "last_contact": row.last_contact_at,
        "next_follow_up": row.next_follow_up_on, "revenue": row.revenue,
        "active": row.active, "defected_on": row.defected_on, "owner": row.owner,
    }


def cmd_list(svc, args) -> int:  # noqa: ANN001
    filters = dict(search=args.search, rung=args.rung, kind=args.kind, tag=args.tag, status=args.status,
                   owner=svc.owner_filter(args.owner))
    rows = svc.list_parties(**filters, sort=args.sort, descending=args.desc, limit=args.limit)
    if args.json:
        _print_json([_party_row_json(r) for r in rows])
        return EXIT_OK
    total = svc.count_parties(**filters)
    if not rows:
        _out("No parties match." if total == 0 else "")
        return EXIT_OK
    header = f"{'id':>6}  {'name':<28} {'kind':<11} {'rung':<10} {'last contact':<12} {'next f/u':<10} {'revenue':>12}"
    _out(header)
    for r in rows:
        last = r.last_contact_at.date().isoformat() if r.last_contact_at else "-"
        nxt = r.next_follow_up_on.isoformat() if r.next_follow_up_on else "-"
        name = _safe(r.name)[:28] + ("" if r.active else " (defected)")
        _out(f"{r.id:>6}  {name:<28} {r.kind.value:<11} {r.rung.value:<10} {last:<12} {nxt:<10} {r.revenue:>12,.2f}")
    shown = f"{len(rows)} of {total}" if total > len(rows) else f"{total}"
    _out(f"{shown} parties")
    return EXIT_OK


def cmd_show(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import describe

    party = svc.get_party(svc.resolve_party(args.party).id)
    timeline = svc.timeline(party.id, limit=50)
    if args.json:
        data = {
            "id": party.id, "name": party.name, "type": party.party_type.value,
            "kind": party.kind.value, "organisation": party.organisation,
            "emails": list(party.emails), "phones": list(party.phones), "address": party.address,
            "birthday": party.birthday.iso() if party.birthday else None, "tags": list(party.tags),
            "notes": party.notes, "source": party.source,
            "referred_by": ({"id": party.referred_by.id, "name": party.referred_by.name}
                            if party.referred_by else None),
            "referrals": party.referrals, "cadence_days": party.cadence_days,
            "payment_terms_days": party.payment_terms_days, "renewal_on": party.renewal_on,
            "rung": party.rung.value, "rung_since": party.rung_since,
            "suggested_rung": party.suggested_rung.value, "active": party.active,
            "defected_on": party.defected_on,
            "defection_reason": party.defection.reason if party.defected_on and party.defection else None,
            "revenue": party.revenue, "cost": party.cost, "profit": party.profit,
            "purchases": party.purchases, "last_contact": party.last_contact_at,
            "next_follow_up": party.next_follow_up_on, "days_past_cadence": party.days_past_cadence,
            "created_on": party.created_on, "owner": party.owner,
            "timeline": [{"kind": e.kind, "when": e.when, "title": e.title, "detail": e.detail}
                         for e in timeline],
        }
        _print_json(data)
        return EXIT_OK
    title = f"{_safe(party.name)} (#{party.id})"
    _out(title)
    _out("=" * min(len(title), 80))
    facts = [
        ("kind", f"{party.kind.value} ({party.party_type.value})"),
        ("owner", party.owner or "nobody"),
        ("organisation", party.organisation),
        ("emails", ", ".join(party.emails)), ("phones", ", ".join(party.phones)),
        ("address", party.address), ("birthday", party.birthday.iso() if party.birthday else None),
        ("tags", ", ".join(party.tags)), ("source", party.source),
        ("referred by", party.referred_by.name if party.referred_by else None),
        ("rung", f"{party.rung.value} since {party.rung_since}"
                 + (f" (data suggests {party.suggested_rung.value})"
                    if party.suggested_rung != party.rung else "")),
        ("status", "active" if party.active else
         f"defected on {party.defected_on} ({party.defection.reason if party.defection else '?'})"),
        ("cadence", f"every {party.cadence_days} days" + (
            f", {party.days_past_cadence} days overdue" if party.days_past_cadence else "")
         if party.cadence_days else None),
        ("payment terms", f"{party.payment_terms_days} days" if party.payment_terms_days is not None else None),
        ("renewal", party.renewal_on.isoformat() if party.renewal_on else None),
        ("revenue", f"{party.revenue:,.2f} from {party.purchases} purchases; profit {party.profit:,.2f}"),
        ("last contact", describe(party.last_contact_at.date(), svc.today()) if party.last_contact_at else "never"),
        ("next follow-up", describe(party.next_follow_up_on, svc.today()) if party.next_follow_up_on else None),
    ]
    for label, value in facts:
        if value:
            _out(f"{label:>15}: {_safe(value)}")
    if party.notes:
        _out("")
        _out(for_terminal(party.notes, multiline=True))
    if timeline:
        _out("")
        _out("Timeline (newest first)")
        for e in timeline:
            detail = f" — {_safe(e.detail)}" if e.detail else ""
            _out(f"  {e.when:%Y-%m-%d}  {e.kind:<11} {_safe(e.title)}{detail}"[:200])
    return EXIT_OK


def cmd_due(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.dates import describe

    today = svc.today()
    rows = svc.due(args.days, owner=svc.owner_filter(args.owner))
    if args.json:
        _print_json([{
            "id": r.id, "party_id": r.party_id, "party": r.party_name, "due": r.due_on,
            "time": r.due_time.strftime("%H:%M") if r.due_time else None, "text": r.text,
            "priority": r.priority, "repeat": r.repeat, "overdue": r.due_on < today,
        } for r in rows])
        return EXIT_OK
    if not rows:
        _out(f"Nothing due in the next {args.days} days.")
        return EXIT_OK
    overdue = [r for r in rows if r.due_on < today]
    upcoming = [r for r in rows if r.due_on >= today]
    days: dict[date, str] = {}  # thousands of rows fall on a few hundred days
    lines: list[str] = []
    for title, group in (("Overdue", overdue), (f"Due in the next {args.days} days", upcoming)):
        if not group:
            continue
        lines.append(f"{title} ({len(group)})")
        for r in group:
            day = days.get(r.due_on)
            if day is None:
                day = days[r.due_on] = describe(r.due_on, today)
            when = f"{day} {r.due_time:%H:%M}" if r.due_time else day
            flag = "!" if r.priority == "high" else " "
            repeat = f" [{r.repeat}]" if r.repeat else ""
            lines.append(f" {flag}#{r.id:<6} {when:<34} {_safe(r.party_name)[:30]:<30} "
                         f"{_safe(r.text)}{repeat}")
    _out("\n".join(lines))  # one write: 19,000 lines at 100,000 parties
    return EXIT_OK


def cmd_sample(args) -> int:
    from pathlib import Path

    from reltui.domain.dates import parse_date
    from reltui.domain.errors import InvalidInput
    from reltui.sample import generate
    from reltui.store import open_store

    path = args.path if "://" in args.path else Path(args.path)  # a file, or an empty database
    if isinstance(path, Path) and path.exists() and path.stat().st_size > 0:
        raise InvalidInput(f"{path} already exists; the sample is written to a new file only.")
    if not 1 <= args.parties <= 1_000_000:
        raise InvalidInput("--parties must be from 1 to 1,000,000.")
    today = parse_date(args.today, date.today()) if args.today else date.today()
    store = open_store(path)
    try:
        progress = _progress_printer() if sys.stderr.isatty() else None
        summary = generate(store, parties=args.parties, seed=args.seed, today=today, progress=progress)
        if progress:
            sys.stderr.write("\n")
    finally:
        store.close()
    _out(f"Wrote {store.label}: {summary.parties:,} parties, {summary.interactions:,} interactions, "
         f"{summary.purchases:,} purchases, {summary.follow_ups:,} follow-ups, "
         f"{summary.feedback:,} feedback, {summary.defections:,} defections.")
    _out(f"Open it with: reltui --db '{path}'" if "://" in str(path) else f"Open it with: reltui --db {path}")
    return EXIT_OK


def _progress_printer() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        sys.stderr.write(f"\rwriting sample: {pct:3d}% ({done:,}/{total:,})")
        sys.stderr.flush()

    return show


SETTINGS = {"date-order": ("date_order", ("dmy", "mdy", "ymd"))}


def cmd_settings(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.errors import InvalidInput

    if args.key is None:
        for name, (key, _choices) in SETTINGS.items():
            _out(f"{name} = {_safe(svc.get_setting(key, '(not set)'))}")
        return EXIT_OK
    if args.key not in SETTINGS:
        raise InvalidInput(f"Unknown setting {args.key!r}; known: {', '.join(SETTINGS)}.")
    key, choices = SETTINGS[args.key]
    if args.value is None:
        _out(_safe(svc.get_setting(key, "(not set)")))
        return EXIT_OK
    if args.value not in choices:
        raise InvalidInput(f"{args.key} must be one of: {', '.join(choices)}.")
    svc.set_setting(key, args.value)
    _out(f"{args.key} = {args.value}")
    return EXIT_OK


def run_tui(args: argparse.Namespace) -> int:
    from reltui.paths import default_db

    user = user_name(args.as_user)
    target = args.db or default_db()
    # Textual draws what changed at the next tick of a timer that runs at most TEXTUAL_FPS
    # times a second (60 unless set). At 60 an answer that came back (a search's rows, a
    # party) waited about 20 ms for its frame: half of a search keystroke at 100,000
    # parties. The screen only redraws when something changed, so a higher cap costs
    # nothing at rest; set TEXTUAL_FPS to choose another. Read when Textual is imported.
    os.environ.setdefault("TEXTUAL_FPS", "240")
    try:
        from reltui.tui.app import run
    except ImportError:
        _out("reltui: the terminal UI is not built yet; use the commands (reltui --help).")
        _out(f"Database: {target}")
        return EXIT_OK
    return run(target, user=user)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            return run_tui(args)
        if args.command == "sample":
            return cmd_sample(args)
        if args.command in ("restore", "copy"):  # restore works on a damaged book
            return args.handler(None, args)
        svc = _open(args)
        try:
            return args.handler(svc, args)
        finally:
            svc.store.close()
    except ReltuiError as exc:
        sys.stderr.write(f"reltui: {_safe(exc.message)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("reltui: interrupted; the last completed change is saved.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback on screen
        log = write_crash_report(exc)
        where = f" Details (no personal data) are in {log}." if log else ""
        sys.stderr.write(f"reltui: unexpected error ({type(exc).__name__}); nothing more was changed.{where}\n")
        return EXIT_FAILED


def entry() -> None:
    """The `reltui` command: main(), then exit with its code.

    After a Ctrl-C the book is safe (the open transaction was rolled back, the store
    closed) and nothing is left worth waiting for. An import's worker processes, stopped
    while a piece was on its way to or from them, leave ProcessPoolExecutor's threads
    blocked on a pipe, and Python 3.11's exit would wait for those threads for ever;
    so an interrupted run ends at once, its output flushed."""
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
