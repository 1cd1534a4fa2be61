"""One party: the profile, the ladder with the current rung marked, the figures, and the
timeline (interactions, rung steps, purchases, feedback, follow-ups, defection), newest
first. Keys to log, schedule, record, climb, descend, defect, win back, edit, delete."""

from __future__ import annotations

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Static

from reltui.domain.enums import RUNG_MEANING, Rung
from reltui.domain.money import format_money
from reltui.domain.records import PartyDetail, PartyRef, TimelineEntry
from reltui.domain.text import for_terminal
from reltui.tui.safe import safe_text, short_date
from reltui.tui.screens.base import Section
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.virtual_table import Column, VirtualTable

TIMELINE_LIMIT = 500
TIMELINE_COLUMNS = (Column("When", 12), Column("", 1), Column("What", None), Column("Detail", None, drop=1))
ICON = {"interaction": "✆", "rung": "↕", "purchase": "$", "feedback": "★", "follow-up": "◷",
        "defection": "✗", "win-back": "↺"}


def load_party(services, party_id: int) -> tuple[PartyDetail, list[TimelineEntry]]:  # noqa: ANN001
    return services.get_party(party_id), services.timeline(party_id, limit=TIMELINE_LIMIT)


def ladder_text(detail: PartyDetail, today) -> Text:  # noqa: ANN001
    """The six rungs, top first, the current one marked, the suggested one flagged."""
    text = Text()
    for rung in reversed(Rung):
        current = rung is detail.rung
        marker = "▶ " if current else "  "
        text.append(marker + rung.value.ljust(10), style="bold reverse" if current else "dim")
        if current:
            text.append(f" since {short_date(detail.rung_since, today)}", style="bold")
        if rung is detail.suggested_rung and not current:
            text.append(" ← suggested by the data", style="yellow")
        text.append("\n")
    text.append(RUNG_MEANING[detail.rung], style="italic")
    return text


def profile_table(d: PartyDetail, today) -> Table:  # noqa: ANN001
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")

    def row(label: str, value: object) -> None:
        if value not in (None, "", ()):
            table.add_row(label, safe_text(value))

    row("Is", f"{d.party_type.value} · {d.kind.value} ({'B2B' if d.kind.is_b2b else 'B2C'})")
    if d.defection and not d.active:
        status = f"defected {short_date(d.defection.on_date)}: {d.defection.reason}"
        if d.defection.note:
            status += f" ({d.defection.note})"
        table.add_row("Status", safe_text(status, "bold red"))
    elif d.defection and d.defection.won_back_on:
        row("Status", f"active, won back {short_date(d.defection.won_back_on)}")
    else:
        row("Status", "active")
    row("Organisation", d.organisation)
    row("Email", ", ".join(d.emails))
    row("Phone", ", ".join(d.phones))
    row("Address", d.address)
    if d.birthday:
        age = d.birthday.age_on(today)
        row("Birthday", d.birthday.iso() + (f" (age {age})" if age is not None else ""))
    row("Tags", ", ".join(d.tags))
    row("Source", d.source)
    row("Referred by", d.referred_by.name if d.referred_by else None)
    if d.referrals:
        row("Referred", f"{d.referrals} part{'y' if d.referrals == 1 else 'ies'}")
    row("Cadence", f"every {d.cadence_days} days" if d.cadence_days else None)
    row("Terms", f"{d.payment_terms_days} days" if d.payment_terms_days is not None else None)
    row("Renewal", short_date(d.renewal_on) if d.renewal_on else None)
    row("Since", short_date(d.created_on))
    row("Owner", d.owner or "nobody")
    return table


def figures_table(d: PartyDetail, today) -> Table:  # noqa: ANN001
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_row("Revenue", format_money(d.revenue))
    table.add_row("Profit", format_money(d.profit))
    table.add_row("Purchases", f"{d.purchases:,}")
    table.add_row("Last contact", short_date(d.last_contact_at, today) or "never")
    table.add_row("Next follow-up", short_date(d.next_follow_up_on, today) or "none")
    if d.days_past_cadence is not None:
        style = "bold yellow" if d.days_past_cadence else ""
        table.add_row("Past cadence", Text(f"{d.days_past_cadence} days", style=style))
    return table


class PartyScreen(Section):
    help_title = "Party"
    AUTO_FOCUS = "#timeline"
    DEFAULT_CSS = """
    PartyScreen #top { height: auto; max-height: 50%; }
    PartyScreen #profile { width: 1fr; padding: 0 1; height: auto; }
    PartyScreen #side { width: 40; height: auto; padding: 0 1; border-left: tall $panel; }
    PartyScreen #name { text-style: bold; padding: 0 1; background: $panel; width: 1fr; }
    PartyScreen #notes { height: auto; max-height: 5; margin: 0 1; padding: 0 2;
                         border-top: solid $panel; display: none; }
    PartyScreen #timeline { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="party.back", tooltip="Back to where you came from"),
        Binding("dollar_sign", "purchase", "Purchase", id="party.purchase", tooltip="Record a purchase"),
        Binding("r", "feedback", "Feedback", id="party.feedback", tooltip="Record a feedback score"),
        Binding("plus,equals_sign", "step(1)", "Climb", id="party.climb",
                tooltip="Move one rung up (with an optional note)"),
        Binding("minus", "step(-1)", "Descend", id="party.descend",
                tooltip="Move one rung down (with an optional note)"),
        Binding("x", "defect", "Defected", id="party.defect", tooltip="Mark as lost, with a reason"),
        Binding("w", "win_back", "Win back", id="party.win_back", tooltip="A defected party is back"),
        Binding("e", "edit", "Edit", id="party.edit", tooltip="Edit the profile"),
        Binding("A", "app.assign_owner", "Owner", id="party.assign",
                tooltip="Change the owner: the party's point of contact (known names offered)"),
        Binding("D", "delete", "Delete", id="party.delete",
                tooltip="Delete the party and its history (asks first, says what goes)"),
    ]

    def __init__(self, party_id: int,
                 loaded: tuple[PartyDetail, list[TimelineEntry]] | None = None) -> None:
        super().__init__()
        self.party_id = party_id
        self.detail: PartyDetail | None = None
        self._loaded = loaded  # read before the screen opened (app.open_party): drawn at once

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        # few widgets, each one a Static drawing a Rich renderable: the screen opens quickly
        yield Static("", id="name")
        with Horizontal(id="top"):
            yield Static("", id="profile")
            yield Static("", id="side")  # the ladder, then the figures
        yield Static("", id="notes")
        # only the visible lines are drawn: a party with 500 contacts opens as fast as one with 5
        yield VirtualTable(TIMELINE_COLUMNS, id="timeline",
                           empty="No history yet: l logs a contact.")
        yield KeyBar()

    def reload(self) -> None:
        if self._loaded is not None:  # the first paint shows the party, not an empty screen
            loaded, self._loaded = self._loaded, None
            self._show(loaded)
            return
        self.app.run_db(load_party, self.app.services, self.party_id, then=self._show,
                        on_error=self._gone, group=f"party-{self.party_id}", exclusive=True)

    def _gone(self, error) -> None:  # noqa: ANN001 - the party was deleted (here or elsewhere)
        if self.app.screen is self:
            self.app.notify(error.message, severity="warning", markup=False)
            self.dismiss()

    def _show(self, result: tuple[PartyDetail, list[TimelineEntry]]) -> None:
        detail, timeline = result
        self.detail = detail
        today = self.app.today
        name = Text(for_terminal(detail.name), style="bold")
        if not detail.active:
            name.append("  DEFECTED", style="bold red")
        name.append(f"  #{detail.id}", style="dim")
        self.query_one("#name", Static).update(name)
        self.query_one("#profile", Static).update(profile_table(detail, today))
        self.query_one("#side", Static).update(Group(ladder_text(detail, today),
                                                     figures_table(detail, today)))
        notes = self.query_one("#notes", Static)
        notes.display = bool(detail.notes.strip())
        # notes are Markdown (never console markup); links show their address, never a
        # terminal hyperlink
        notes.update(Markdown(for_terminal(detail.notes, multiline=True), hyperlinks=False)
                     if notes.display else "")
        # the timeline is already in memory: its first rows are drawn with the profile
        self.query_one("#timeline", VirtualTable).set_rows(
            timeline,
            cells=lambda e: [short_date(e.when, today), ICON.get(e.kind, "·"), e.title, e.detail],
            tone=lambda e: "alert" if e.kind == "defection" else "",
            keep_cursor=True)

    # -- keys ----------------------------------------------------------------------------------

    def current_party(self) -> PartyRef | None:
        return PartyRef(self.detail.id, self.detail.name) if self.detail else None

    def action_back(self) -> None:
        if self.app.screen is self:
            self.dismiss()

    async def _form(self, form_class) -> None:  # noqa: ANN001
        party = self.current_party()
        if party is not None:
            await self.app.push_screen(form_class(party))  # mounted before the next key

    async def action_purchase(self) -> None:
        from reltui.tui.modals.forms import PurchaseForm

        await self._form(PurchaseForm)

    async def action_feedback(self) -> None:
        from reltui.tui.modals.forms import FeedbackForm

        await self._form(FeedbackForm)

    async def action_defect(self) -> None:
        from reltui.tui.modals.forms import DefectForm

        if self.detail and not self.detail.active:
            self.app.notify("Already defected; w wins them back.", severity="warning", timeout=3)
            return
        await self._form(DefectForm)

    def action_win_back(self) -> None:
        if self.detail is None:
            return
        if self.detail.active:
            self.app.notify("Not defected: nothing to win back.", severity="warning", timeout=3)
            return
        self.app.write(self.app.services.win_back, self.detail.id, done="Won back: active again.")

    async def action_step(self, step: int) -> None:
        from reltui.tui.modals.forms import RungStepForm

        d = self.detail
        if d is None:
            return
        if (d.rung.up() if step > 0 else d.rung.down()) is None:
            self.app.notify(f"{d.rung.value} is the {'top' if step > 0 else 'bottom'} rung.",
                            severity="warning", timeout=3)
            return
        await self.app.push_screen(RungStepForm(PartyRef(d.id, d.name), d.rung, step))

    async def action_edit(self) -> None:
        from reltui.tui.modals.forms import PartyForm

        if self.detail is not None:
            await self.app.push_screen(PartyForm(self.detail))

    def action_delete(self) -> None:
        if self.detail is not None:
            self.app.run_db(self.app.services.deletion_impact, self.detail.id, then=self._confirm_delete)

    def _confirm_delete(self, impact) -> None:  # noqa: ANN001
        from reltui.tui.modals.base import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.write(self.app.services.delete_party, impact.party.id,
                               done=lambda gone: f"Deleted {for_terminal(gone.party.name)} and "
                                                 f"{gone.describe()}.",
                               then=lambda _: self.action_back())

        self.app.push_screen(Confirm(
            f"Delete {for_terminal(impact.party.name)}?",
            f"This also deletes {impact.describe()}. Deleting is the only way data leaves the book, "
            "and it can't be undone (restore from a backup if you must).", "y  delete"), answered)
