"""The App: modes, global bindings, database work off the UI thread, error handling.

Contract for every screen (keep it):
- `self.app.services` is the one door to the data (reltui.services.Services).
- Database work never runs on the UI thread: call
  `self.app.run_db(fn, *args, then=callback, group="name")`; `fn(*args)` runs in a
  thread worker, `then(result)` runs back on the UI thread; a refusal
  (ReltuiError) becomes an error notification with its message, anything else
  a generic notification (no traceback, no field values).
- After a write, call `self.app.data_changed()`. Screens that show data watch
  `app.data_version` (`self.watch(self.app, "data_version", self.reload)`) and
  reload; the app also bumps it when another process writes the same file.
- `self.app.open_party(party_id)` opens the Party screen;
  `self.app.action_log_contact(party_id)` / `action_schedule_follow_up(party_id)` /
  `action_new_party()` open the forms (party_id None: the form asks for a party).
- Text from the database goes through `reltui.tui.safe` (`safe_text`), never into markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from reltui.domain.errors import ReltuiError
from reltui.services import Services

POLL_SECONDS = 2.0


class ReltuiApp(App[None]):
    TITLE = "reltui"
    CSS_PATH = "app.tcss"

    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of this screen"),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False),
    ]

    data_version: reactive[int] = reactive(0)

    def __init__(self, services: Services, *, poll_seconds: float | None = POLL_SECONDS) -> None:
        super().__init__()
        self.services = services
        self.poll_seconds = poll_seconds
        self._counter: int | None = None

    # -- database work off the UI thread ---------------------------------------------------

    def run_db(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None] | None = None,
               group: str = "db", exclusive: bool = False, **kwargs: Any) -> Worker:
        """Run fn(*args, **kwargs) in a thread; hand the result to `then` on the UI thread."""

        def job() -> Any:
            return fn(*args, **kwargs)

        worker = self.run_worker(job, thread=True, group=group, exclusive=exclusive,
                                 exit_on_error=False, description=getattr(fn, "__name__", "db"))
        if then is not None:
            worker._reltui_then = then  # read back in on_worker_state_changed
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.SUCCESS:
            then = getattr(worker, "_reltui_then", None)
            if then is not None:
                then(worker.result)
        elif event.state is WorkerState.ERROR:
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

    # -- other processes writing the same file ----------------------------------------------

    def on_mount(self) -> None:
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self._poll)

    def _poll(self) -> None:
        self._check_counter()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _check_counter(self) -> None:
        counter = self.services.store.change_counter()
        if self._counter is not None and counter != self._counter:
            self.call_from_thread(self.data_changed)
        self._counter = counter


def run(target: str) -> int:
    """Open the book at `target` and run the TUI; returns the exit code."""
    import sys

    from reltui.store import open_store

    try:
        store = open_store(target)
    except ReltuiError as exc:
        sys.stderr.write(f"reltui: {exc.message}\n")
        return exc.exit_code
    try:
        ReltuiApp(Services(store)).run()
    finally:
        store.close()
    return 0
