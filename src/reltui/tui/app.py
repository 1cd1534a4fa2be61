"""The App: modes, global bindings, database work off the UI thread, error handling.

Contract for every screen (keep it):
- `self.app.services` is the one door to the data (reltui.services.Services).
- Database work never runs on the UI thread: call
  `self.app.run_db(fn, *args, then=callback, on_error=callback)`; `fn(*args)` runs
  in a thread worker, `then(result)` runs back on the UI thread; a refusal
  (ReltuiError) goes to `on_error` when given (forms show it in place), else it
  becomes an error notification; anything else a generic notification (no
  traceback, no field values).
- After a write, call `self.app.data_changed()`. Screens that show data watch
  `app.data_version` and reload; the app also bumps it when another process
  writes the same file.
- A screen that has a party in focus answers `current_party() -> PartyRef | None`,
  so the global keys (log a contact, schedule a follow-up) start from that party.
- Text from the database goes through `reltui.tui.safe.safe_text`, never into markup.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from reltui.domain.errors import ReltuiError
from reltui.domain.text import for_terminal
from reltui.tui.commands import PartyCommands, ReltuiCommands
from reltui.tui.screens.parties import PartiesScreen
from reltui.tui.screens.today import TodayScreen

if TYPE_CHECKING:
    from textual.timer import Timer

    from reltui.domain.records import PartyRef
    from reltui.services import Services

POLL_SECONDS = 2.0
# this long after start, once the first screen has painted and before the user is likely to
# need them, a thread loads the use cases beyond the first screens' reads (services.lazy) and
# the other screens' modules (`warm_up`)
LOAD_SERVICES_AFTER = 1.0
# keys typed while a party is read are held for its screen, this long at most
HOLD_KEYS_AT_MOST = 2.0

# (mode, key, label, what it shows): the top-level sections, in the order of their keys
SECTIONS = (
    ("today", "t", "Today", "Due and overdue follow-ups, birthdays, renewals, going cold"),
    ("parties", "p", "Parties", "Everyone in the book: search, filter, sort"),
    ("agenda", "a", "Agenda", "Every open follow-up: overdue, today, this week, later"),
    ("ladder", "b", "Ladder", "The loyalty ladder as a board, a column per rung"),
    ("metrics", "m", "Metrics", "Retention, CLV, pyramid, Pareto, ROR, NPS, defections"),
)


def warm_up(services: Any) -> None:
    """Load, in a worker, what opening the other screens would otherwise import on the spot
    (the full use cases, a party, the forms, the agenda, the board, the metrics and plotext)."""
    if hasattr(type(services), "load"):  # a LazyServices
        services.load()
    import reltui.tui.modals.forms
    import reltui.tui.screens.agenda
    import reltui.tui.screens.ladder
    import reltui.tui.screens.metrics
    import reltui.tui.screens.party  # noqa: F401


# Today is shown at start and Parties is one key away; the other sections (and plotext,
# which only the metrics draw) are imported when first opened, or by warm_up, a second after
# start, whichever comes first.
def _agenda_screen() -> Screen:
    from reltui.tui.screens.agenda import AgendaScreen

    return AgendaScreen()


def _ladder_screen() -> Screen:
    from reltui.tui.screens.ladder import LadderScreen

    return LadderScreen()


def _metrics_screen() -> Screen:
    from reltui.tui.screens.metrics import MetricsScreen

    return MetricsScreen()


class ReltuiApp(App[None]):
    TITLE = "reltui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {ReltuiCommands, PartyCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    MODES: ClassVar[dict[str, Any]] = {
        "today": TodayScreen,
        "parties": PartiesScreen,
        "agenda": _agenda_screen,
        "ladder": _ladder_screen,
        "metrics": _metrics_screen,
    }
    DEFAULT_MODE = "today"

    BINDINGS = [
        *(Binding(key, f"section('{mode}')", label, id=f"go.{mode}", tooltip=tip)
          for mode, key, label, tip in SECTIONS),
        Binding("n", "new_party", "New", id="party.new", tooltip="Add a party"),
        Binding("l", "log_contact", "Log", id="contact.log",
                tooltip="Log a contact (with the party in focus, or pick one)"),
        Binding("f", "schedule_follow_up", "Follow-up", id="follow_up.new",
                tooltip="Schedule a follow-up (with the party in focus, or pick one)"),
        Binding("i", "import_file", "Import", id="data.import", show=False,
                tooltip="Import contacts: vCard, Google/Outlook CSV, a reltui backup"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of this screen"),
        Binding("q", "quit", "Quit", id="quit", show=False, tooltip="Leave reltui"),
        Binding("ctrl+q", "quit", "Quit", id="quit.ctrl", show=False),
    ]

    data_version: reactive[int] = reactive(0)
    # whose parties Parties, Today, the Agenda and Metrics show: None = everyone's, else a name;
    # one choice for the whole session, whichever screen it was made on
    whose: reactive[str | None] = reactive(None)

    def __init__(self, services: Services, *, poll_seconds: float | None = POLL_SECONDS,
                 db_label: str = "") -> None:
        super().__init__()
        self.services = services
        self.poll_seconds = poll_seconds
        self.db_label = db_label
        self._counter: int | None = None
        self._held: list[events.Key] | None = None  # keys kept for a screen on its way
        self._hold_timer: Timer | None = None
        self._frozen = False  # gc.freeze() done (see _warmed_up)

    # -- database work off the UI thread ---------------------------------------------------

    def run_db(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None] | None = None,
               on_error: Callable[[ReltuiError], None] | None = None,
               group: str = "db", exclusive: bool = False, **kwargs: Any) -> Worker:
        """Run fn(*args, **kwargs) in a thread; hand the result to `then` on the UI thread."""

        def job() -> Any:
            return fn(*args, **kwargs)

        worker = self.run_worker(job, thread=True, group=group, exclusive=exclusive,
                                 exit_on_error=False, description=getattr(fn, "__name__", "db"))
        worker._reltui_then = then  # read back in on_worker_state_changed
        worker._reltui_on_error = on_error
        return worker

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.SUCCESS:
            then = getattr(worker, "_reltui_then", None)
            if then is not None and inspect.isawaitable(answer := then(worker.result)):
                await answer
        elif event.state is WorkerState.ERROR:
            on_error = getattr(worker, "_reltui_on_error", None)
            if on_error is not None and isinstance(worker.error, ReltuiError):
                if inspect.isawaitable(answer := on_error(worker.error)):
                    await answer
            else:
                self.report_error(worker.error)

    def report_error(self, error: BaseException | None) -> None:
        if isinstance(error, ReltuiError):
            self.notify(error.message, title="Not done", severity="error", markup=False)
        else:
            name = type(error).__name__ if error else "error"
            self.notify(f"Something went wrong ({name}); nothing more was changed.",
                        title="Unexpected error", severity="error", markup=False)

    def data_changed(self) -> None:
        self.data_version += 1

    def write(self, fn: Callable[..., Any], *args: Any, done: str | Callable[[Any], str] = "",
              then: Callable[[Any], None] | None = None, **kwargs: Any) -> Worker:
        """Run a write use case off the UI thread; on success say so and refresh every view."""

        def finished(result: Any) -> None:
            self.data_changed()
            message = done(result) if callable(done) else done
            if message:
                self.notify(message, markup=False, timeout=3)
            if then is not None:
                then(result)

        return self.run_db(fn, *args, then=finished, group="write", **kwargs)

    @property
    def today(self) -> date:
        return self.services.today()

    # -- navigation ------------------------------------------------------------------------

    def on_mount(self) -> None:
        # the book and, discreetly, who is working in it
        self.sub_title = f"{self.db_label} · {for_terminal(self.services.user)}" if self.db_label \
            else for_terminal(self.services.user)
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self._check_counter)
        self.set_timer(LOAD_SERVICES_AFTER, lambda: self.run_db(
            warm_up, self.services, then=self._warmed_up, group="load"))

    def _warmed_up(self, _result: None) -> None:
        # What exists now (modules, classes, the screens) lives as long as the app: moved out
        # of the collector's sight, a full collection looks at what came since, not at every
        # object of Textual, SQLAlchemy and the rest (a pause of tens of ms every few seconds)
        gc.freeze()
        self._frozen = True

    def on_unmount(self) -> None:
        if self._frozen:  # what the app held may go now (several apps in one process: tests)
            gc.unfreeze()

    # -- type-ahead ------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys typed in one burst land where the user meant them, in order.

        Textual hands a key to the focused widget first and runs a binding of the screen or
        the app only when the key bubbles back up. In a burst ("l" and a subject typed fast,
        or arriving in one read over SSH) the keys after "l" have by then gone to the list,
        before "l" opened its form. So outside a text field a key that a binding takes is
        run as it arrives, and an action that opens a screen returns once it is mounted:
        the next key goes to the new screen's field. In a text field every printable key is
        the field's, as before.
        """
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held is not None:  # a screen is on its way: the key is for it
                self._held.append(event)
                return
            if self.app_focus and await self._run_binding_first(event):
                return
        await super().on_event(event)

    def hold_keys(self) -> None:
        """Keep the keys typed from now on for a screen about to open: Enter and "$120" on
        a list is a purchase on the party Enter opens. `release_keys` hands them on."""
        if self._held is None:
            self._held = []
            self._hold_timer = self.set_timer(HOLD_KEYS_AT_MOST, self.release_keys)

    async def release_keys(self) -> None:
        """Hand the held keys on, in order, to whatever has the focus now."""
        held, self._held = self._held or [], None
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        for index, key in enumerate(held):
            if self._held is not None:  # one of them opened a party in turn: hold the rest
                self._held.extend(held[index:])
                return
            await self.on_event(key)

    async def _run_binding_first(self, event: events.Key) -> bool:
        focused = self.focused
        if focused is not None and focused.check_consume_key(event.key, event.character):
            return False
        # Textual's own binding lookup, priority bindings first as it does
        return (await self._check_bindings(event.key, priority=True)
                or await self._check_bindings(event.key))

    async def action_section(self, mode: str) -> None:
        while len(self.screen_stack) > 1 and self.current_mode == mode:
            self.pop_screen()  # back to the section's own screen from a party on top of it
        await self.switch_mode(mode)  # mounted before the next key is routed (type-ahead)

    def open_party(self, party_id: int) -> None:
        """Read the party, then open its screen with everything on it: one layout and one
        paint, not an empty screen first and the party after."""
        from reltui.tui.screens.party import PartyScreen, load_party

        origin = self.screen
        self.hold_keys()  # what is typed while the party is read is for its screen

        async def show(loaded) -> None:  # noqa: ANN001
            if self.screen is origin:  # not if the user went elsewhere meanwhile
                await self.push_screen(PartyScreen(party_id, loaded))
            await self.release_keys()

        async def gone(error: ReltuiError) -> None:  # deleted meanwhile, here or in another terminal
            self.notify(error.message, severity="warning", markup=False)
            await self.release_keys()

        self.run_db(load_party, self.services, party_id, then=show, on_error=gone,
                    group="open-party", exclusive=True)

    def current_party(self) -> PartyRef | None:
        getter = getattr(self.screen, "current_party", None)
        return getter() if callable(getter) else None

    async def action_help(self) -> None:
        from reltui.tui.modals.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            await self.push_screen(HelpScreen(self.screen))

    # -- forms reachable from everywhere -----------------------------------------------------

    async def action_new_party(self) -> None:
        from reltui.tui.modals.forms import PartyForm

        await self.push_screen(PartyForm(), self._opened_new_party)

    def _opened_new_party(self, party_id: int | None) -> None:
        if party_id is not None:
            self.open_party(party_id)

    async def action_log_contact(self, party: PartyRef | None = None) -> None:
        from reltui.tui.modals.forms import ContactForm

        await self.push_screen(ContactForm(party or self.current_party()))

    async def action_schedule_follow_up(self, party: PartyRef | None = None) -> None:
        from reltui.tui.modals.forms import FollowUpForm

        await self.push_screen(FollowUpForm(party or self.current_party()))

    def _fatal_error(self) -> None:
        """Textual prints a traceback with local variables, which hold customer data:
        record the frames in the crash log instead and say so in one line."""
        from rich.text import Text

        from reltui.crash import write_crash_report

        error = self._exception
        log = write_crash_report(error) if error is not None else None
        name = type(error).__name__ if error is not None else "error"
        where = f" Details (no personal data) are in {log}." if log else ""
        self.bell()
        self._exit_renderables.append(Text(
            f"reltui stopped: unexpected error ({name}). Every change you saved is kept.{where}"))
        self._close_messages_no_wait()

    async def action_import_file(self) -> None:
        from reltui.tui.modals.data import ImportScreen

        await self.push_screen(ImportScreen())

    # -- who -------------------------------------------------------------------------------

    def whose_label(self) -> str:
        """'everyone's', 'mine' or 'Maya's' for the owner filter (names made safe to show)."""
        whose = self.whose
        if whose is None:
            return "everyone's"
        if whose == self.services.user:
            return "mine"
        return f"{for_terminal(whose)}'s"

    def action_cycle_owner(self) -> None:
        """Everyone's -> mine -> each colleague's -> everyone's (the names the book knows)."""
        self.run_db(self.services.known_people, makers=False, then=self._next_owner, group="whose",
                    exclusive=True)

    def _next_owner(self, people: list[str]) -> None:
        options: list[str | None] = [None, *people]
        position = options.index(self.whose) if self.whose in options else 0
        self.whose = options[(position + 1) % len(options)]
        self.notify(f"Showing {self.whose_label()} parties.", markup=False, timeout=2)

    def action_assign_owner(self) -> None:
        """Ask for the owner of the party in focus (names the book knows offered)."""
        party = self.current_party()
        if party is None:
            self.notify("Put the cursor on a party first.", severity="warning", timeout=3)
            return

        def load() -> tuple[str | None, list[str]]:
            return self.services.get_party(party.id).owner, self.services.known_people()

        def ask(found: tuple[str | None, list[str]]) -> None:
            from reltui.tui.modals.owner import OwnerPrompt

            current, people = found
            self.push_screen(OwnerPrompt(party, current, people, self.services.user))

        self.run_db(load, then=ask, group="assign", exclusive=True)

    # -- other processes writing the same file ----------------------------------------------

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _check_counter(self) -> None:
        counter = self.services.store.change_counter()
        if self._counter is not None and counter != self._counter:
            self.call_from_thread(self.data_changed)
        self._counter = counter


def run(target: str, *, user: str = "me") -> int:
    """Open the book at `target` as `user` and run the TUI; returns the exit code."""
    import sys

    from reltui.services.lazy import LazyServices
    from reltui.store import open_store

    try:
        store = open_store(target)
    except ReltuiError as exc:
        sys.stderr.write(f"reltui: {exc.message}\n")
        return exc.exit_code
    try:
        app = ReltuiApp(LazyServices(store, user=user), db_label=store.label)  # never a password
        app.run()
        if app.return_code:
            return app.return_code
    finally:
        store.close()
    return 0
