"""What every section screen shares: header and footer, reloading when the data changes,
and the follow-up keys (done, snooze, reschedule, cancel) used on Today and the Agenda."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.binding import Binding
from textual.screen import Screen

from reltui.domain.records import FollowUpRow, PartyRef
from reltui.domain.text import for_terminal

T = TypeVar("T")


class StyledScreen(Screen):
    """A screen born with the app's styles already current.

    Textual re-reads every stylesheet and restyles every widget of every screen when a
    section (a mode) is first opened, twice, because a new screen counts as having missed
    every style change so far (`_css_update_count`). A screen made now is styled when it
    mounts, from the stylesheet as it is: the refresh is needed only by screens that were
    made before a change of theme (such as the first, made before the theme is applied).
    Skipping it was a tenth of the work from start to the Parties list painted. (The
    counter is Textual's own; if it goes, the refresh comes back, which
    tests/tui/test_restyles.py notices.)"""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        if self.app.screen_stack:  # not the first screen: that one is styled with the theme
            self._css_update_count = getattr(self.app, "_css_update_count", -1)


class Section(StyledScreen):
    """A screen that shows data: `reload()` runs on mount and whenever the book changes."""

    help_title = ""

    def on_mount(self) -> None:
        # Textual calls on_mount once per class that defines it, and screens that add their own
        # on_mount also call this one: load once, not twice.
        if getattr(self, "_seen_version", None) is not None:
            return
        self._seen_version = self.app.data_version
        self._deferred: Callable[[], None] | None = None
        self.watch(self.app, "data_version", self._version_changed, init=False)
        if isinstance(self, OwnerFilter):
            self.watch(self.app, "whose", self._whose_changed, init=False)
        self.reload()

    def _version_changed(self, version: int) -> None:
        if version != self._seen_version:
            self._seen_version = version
            self.reload()

    def on_screen_suspend(self) -> None:
        self._away = True

    def on_screen_resume(self) -> None:
        # Coming back (from a party, a form, another section): show what arrived while away,
        # then what changed meanwhile.
        self._away = False
        deferred, self._deferred = getattr(self, "_deferred", None), None
        if deferred is not None:
            deferred()
        if getattr(self, "_seen_version", None) is not None and self._seen_version != self.app.data_version:
            self._seen_version = self.app.data_version
            self.reload()

    def when_shown(self, show: Callable[[T], None]) -> Callable[[T], None]:
        """`show`, put off while the user is away on another screen: a result that arrives for
        a screen they have left is drawn when they come back, not on top of what they do."""

        def shown(result: T) -> None:
            if not getattr(self, "_away", False):
                show(result)
            else:
                self._deferred = lambda: show(result)  # only the latest counts

        return shown

    def reload(self) -> None:  # pragma: no cover - every section overrides it
        raise NotImplementedError

    def current_party(self) -> PartyRef | None:
        return None


class OwnerFilter:
    """Whose parties a section shows: `u` cycles everyone's -> mine -> each colleague's, one
    choice for the app session (`app.whose`); the screen reloads when it changes."""

    OWNER_BINDINGS = [
        Binding("u", "app.cycle_owner", "Whose", id="filter.whose",
                tooltip="Everyone's, mine, each colleague's parties (cycles; kept across screens)"),
    ]

    def _whose_changed(self, whose: str | None) -> None:
        self.reload()


class FollowUpKeys:
    """Keys for the follow-up under the cursor; the screen answers `current_follow_up()`."""

    FOLLOW_UP_BINDINGS = [
        Binding("d", "done", "Done", id="follow_up.done", tooltip="Mark the follow-up done"),
        Binding("s", "snooze(1)", "+1 day", id="follow_up.snooze_day", tooltip="Snooze one day"),
        Binding("w", "snooze(7)", "+1 week", id="follow_up.snooze_week", show=False,
                tooltip="Snooze one week"),
        Binding("r", "reschedule", "Move", id="follow_up.reschedule",
                tooltip="Snooze or reschedule to a date you type"),
        Binding("c", "cancel_follow_up", "Cancel", id="follow_up.cancel", show=False,
                tooltip="Cancel the follow-up (asks first)"),
    ]

    def current_follow_up(self) -> FollowUpRow | None:  # pragma: no cover - overridden
        return None

    def _need_follow_up(self) -> FollowUpRow | None:
        row = self.current_follow_up()
        if row is None:
            self.app.notify("Put the cursor on a follow-up first.", severity="warning", timeout=3)
        return row

    def action_done(self) -> None:
        row = self._need_follow_up()
        if row is None:
            return

        def said(next_id: int | None) -> str:
            text = f"Done: {for_terminal(row.text)}."
            return text + (f" Next one scheduled ({row.repeat})." if next_id else "")

        self.app.write(self.app.services.complete_follow_up, row.id, done=said)

    def action_snooze(self, days: int) -> None:
        row = self._need_follow_up()
        if row is not None:
            self.app.write(self.app.services.snooze_follow_up, row.id, days=days,
                           done=lambda day: f"Snoozed to {day:%a} {day.day} {day:%b}.")

    async def action_reschedule(self) -> None:
        from reltui.tui.modals.forms import RescheduleForm

        row = self._need_follow_up()
        if row is not None:
            await self.app.push_screen(RescheduleForm(row))

    async def action_cancel_follow_up(self) -> None:
        from reltui.tui.modals.base import Confirm

        row = self._need_follow_up()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.write(self.app.services.cancel_follow_up, row.id, done="Follow-up cancelled.")

        await self.app.push_screen(Confirm("Cancel this follow-up?",
                                     f"{for_terminal(row.text)} ({for_terminal(row.party_name)}, "
                                     f"due {row.due_on:%d %b %Y})", "y  cancel it"), answered)


def follow_up_party(row: FollowUpRow | None) -> PartyRef | None:
    return PartyRef(row.party_id, row.party_name) if row else None
