"""The form every modal is built on: compact rows, validation in place, nothing lost.

A form is a list of `Field`s. Enter in a one-line field or ctrl+s saves; Tab moves
on; Escape cancels. Saving first checks what was typed on the UI thread (pure
domain parsing, no disk); a problem is shown under the field and the field gets
focus. Then the use case runs in a worker; if the services refuse (a rule the
store knows), the message shows in the form and everything typed stays.
Dates show what they were read as while you type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from reltui.domain.dates import describe, parse_birthday, parse_date, parse_due
from reltui.domain.errors import InvalidInput, ReltuiError
from reltui.domain.records import PartyRef
from reltui.domain.text import for_terminal

Result = TypeVar("Result")

DATE_KINDS = ("date", "due", "birthday")
PICK_LIMIT = 6


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: str = "text"  # text | date | due | birthday | choice | notes | party
    value: str = ""
    placeholder: str = ""
    choices: Sequence[tuple[str, str]] = ()
    required: bool = False


class FieldError(InvalidInput):
    """A typed value the form itself refuses, tied to its field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _pick_label(row) -> Text:  # noqa: ANN001 - a PartyRow
    """A match as the picker lists it: the name, and what tells two of the same name apart."""
    label = Text(for_terminal(row.name))
    extra = " · ".join(x for x in (row.organisation, row.kind.value, row.rung.value) if x)
    label.append(f"  {for_terminal(extra)}", style="dim")
    if not row.active:
        label.append("  defected", style="red")
    return label


class PartyPicker(Vertical):
    """Type a few letters of a name (or an email, a tag...); pick with up/down and Enter."""

    DEFAULT_CSS = """
    PartyPicker { height: auto; width: 1fr; }
    PartyPicker OptionList { height: auto; max-height: 6; display: none; border: none; }
    PartyPicker.-open OptionList { display: block; }
    """
    BINDINGS = [
        Binding("down", "highlight(1)", "Next match", show=False),
        Binding("up", "highlight(-1)", "Previous match", show=False),
    ]

    def __init__(self, field_id: str, placeholder: str = "type a name, pick with ↑↓ Enter") -> None:
        super().__init__(id=f"{field_id}-picker")
        self.field_id = field_id
        self.placeholder = placeholder
        self.chosen: PartyRef | None = None
        self._matches: list[PartyRef] = []
        self._searching = False  # a search is in flight
        self._pick_when_found = False  # Enter came before the matches: pick the first then

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id=self.field_id, compact=True)
        yield OptionList(id=f"{self.field_id}-matches", compact=True)

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        if self.chosen is not None and event.value == for_terminal(self.chosen.name):
            return
        self.chosen = None
        query = event.value.strip()
        if not query:
            self._show([])
            return
        services = self.app.services
        self._searching = True
        self.app.run_db(services.list_parties, search=query, limit=PICK_LIMIT,
                        then=self._found,
                        group=f"pick-{id(self)}", exclusive=True)

    def _found(self, rows: list) -> None:
        self._searching = False
        self._show([PartyRef(r.id, r.name) for r in rows], [_pick_label(r) for r in rows])
        if self._pick_when_found:
            self._pick_when_found = False
            self._pick_highlighted()

    def _show(self, matches: list[PartyRef], labels: list[Text] | None = None) -> None:
        self._matches = matches
        options = self.query_one(OptionList)
        options.clear_options()
        labels = labels or [Text(for_terminal(m.name)) for m in matches]
        options.add_options([Option(label, id=str(m.id)) for m, label in zip(matches, labels, strict=True)])
        if matches:
            options.highlighted = 0
        self.set_class(bool(matches) and self.chosen is None, "-open")

    def action_highlight(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self._matches:
            current = options.highlighted or 0
            options.highlighted = (current + step) % len(self._matches)

    @on(Input.Submitted)
    def _pick(self, event: Input.Submitted) -> None:
        if self.chosen is not None:
            return  # already picked: let the form save
        event.stop()
        if self._searching:  # typed faster than the search: pick when the matches come
            self._pick_when_found = True
            return
        self._pick_highlighted()

    def _pick_highlighted(self) -> None:
        index = self.query_one(OptionList).highlighted
        if not self._matches:
            self.screen.show_error("No party matches that; try fewer letters.", self.field_id)
            return
        self.choose(self._matches[index or 0])
        self.screen.focus_next()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(self._matches[event.option_index])
        self.screen.focus_next()

    def choose(self, party: PartyRef) -> None:
        self.chosen = party
        self.query_one(Input).value = for_terminal(party.name)
        self.remove_class("-open")
        self.screen.show_error("")


class Form(ModalScreen[Result], Generic[Result]):
    """A modal form; subclasses give `title`, `fields()`, `build()` and `commit()`."""

    DEFAULT_CSS = """
    Form { align: center middle; }
    Form #form {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    Form #form-title { text-style: bold; width: 1fr; margin-bottom: 1; }
    Form #form-fields { height: auto; max-height: 1fr; }
    Form .row { height: auto; }
    Form .row Label { width: 15; color: $text-muted; }
    Form .row Input, Form .row Select { width: 1fr; }
    Form .row TextArea { width: 1fr; height: 4; }
    Form .hint { color: $text-muted; padding-left: 15; height: auto; }
    Form .hint.-bad { color: $error; }
    Form #form-error { color: $error; text-style: bold; height: auto; }
    Form #form-keys { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
    ]

    form_title = "Form"
    done = ""

    def __init__(self) -> None:
        super().__init__()
        self.order: str | None = None  # the date-order setting, for slash dates

    # -- to override ------------------------------------------------------------------------

    def fields(self) -> Sequence[Field]:
        return ()

    def build(self, values: dict[str, str]) -> Any:
        """Turn what was typed into the use case's input; raise FieldError to refuse."""
        return values

    def commit(self, services, payload: Any) -> Any:  # noqa: ANN001 - runs in a worker
        raise NotImplementedError

    def finished(self, result: Any) -> Any:
        """What the form hands back through dismiss."""
        return result

    # -- building ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label(self.form_title, id="form-title", markup=False)
            with VerticalScroll(id="form-fields"):
                for field in self.fields():
                    yield from self._field(field)
            yield Static("", id="form-error", markup=False)
            yield Static("Enter save · Tab next field · ctrl+s save · Esc cancel", id="form-keys")

    def _field(self, field: Field) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(field.label + (" *" if field.required else ""), markup=False)
            if field.kind == "choice":
                yield Select([(label, value) for label, value in field.choices], id=field.id,
                             value=field.value if field.value else Select.NULL,
                             allow_blank=not field.required, compact=True)
            elif field.kind == "notes":
                yield TextArea(field.value, id=field.id, compact=True)
            elif field.kind == "party":
                yield PartyPicker(field.id)
            else:
                yield Input(field.value, placeholder=field.placeholder, id=field.id, compact=True,
                            classes=field.kind, select_on_focus=False)
        yield Static("", id=f"{field.id}-hint", classes="hint", markup=False)

    def on_mount(self) -> None:
        for hint in self.query(".hint"):
            hint.display = False
        services = self.app.services
        self.app.run_db(services.get_setting, "date_order", then=self._got_order, group="form-order")
        first = next(iter(self.query("Input, Select, TextArea")), None)
        if first is not None:
            self.set_focus(first)  # now, not later: keys typed ahead go into it

    def _got_order(self, order: str | None) -> None:
        self.order = order
        for field in self.query(".date, .due, .birthday").results(Input):
            if field.value:
                self._show_date(field)

    # -- reading what was typed --------------------------------------------------------------

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for widget in self.query("Input, Select, TextArea"):
            if not widget.id or widget.id.endswith("-matches"):
                continue
            if isinstance(widget, Select):
                out[widget.id] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, TextArea):
                out[widget.id] = widget.text
            elif isinstance(widget, Input):
                out[widget.id] = widget.value
        return out

    def party(self, field_id: str = "party") -> PartyRef:
        picker = self.query_one(f"#{field_id}-picker", PartyPicker)
        if picker.chosen is None:
            raise FieldError(field_id, "Pick a party: type a few letters, then Enter.")
        return picker.chosen

    def parse_date_field(self, values: dict[str, str], field_id: str, *, default: date | None = None,
                         kind: str = "date") -> Any:
        text = values.get(field_id, "").strip()
        if not text:
            if default is None:
                raise FieldError(field_id, "A date is needed, like tomorrow, +3d, next fri or 2026-12-01.")
            return default
        try:
            return self._parse(kind, text)
        except ReltuiError as exc:
            raise FieldError(field_id, exc.message) from None

    def _parse(self, kind: str, text: str) -> Any:
        today = self.app.today
        if kind == "due":
            return parse_due(text, today, order=self.order)
        if kind == "birthday":
            return parse_birthday(text, today, order=self.order)
        return parse_date(text, today, order=self.order)

    @on(Input.Changed, ".date, .due, .birthday")
    def _date_changed(self, event: Input.Changed) -> None:
        self._show_date(event.input)

    def _show_date(self, field: Input) -> None:
        hint = self.query_one(f"#{field.id}-hint", Static)
        text = field.value.strip()
        if not text:
            hint.display = False
            return
        kind = next(k for k in DATE_KINDS if field.has_class(k))
        try:
            value = self._parse(kind, text)
        except ReltuiError as exc:
            hint.update(f"✗ {exc.message}")
            hint.set_class(True, "-bad")
        else:
            hint.update(f"→ {self._describe(kind, value)}")
            hint.set_class(False, "-bad")
        hint.display = True

    def _describe(self, kind: str, value: Any) -> str:
        today = self.app.today
        if kind == "due":
            day, at = value
            return describe(day, today) + (f" at {at:%H:%M}" if at else "")
        if kind == "birthday":
            return value.iso() + ("" if value.year else " (no year)")
        return describe(value, today)

    # -- saving ------------------------------------------------------------------------------

    def show_error(self, message: str, field_id: str | None = None) -> None:
        self.query_one("#form-error", Static).update(message)
        for hint in self.query(".hint.-refused"):
            hint.remove_class("-refused", "-bad")
            hint.display = False
        if field_id:
            hint = self.query_one(f"#{field_id}-hint", Static)
            hint.update(f"✗ {message}")
            hint.add_class("-bad", "-refused")
            hint.display = True
            self.set_focus(self.query_one(f"#{field_id}"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        try:
            payload = self.build(self.values())
        except FieldError as exc:
            self.show_error(exc.message, exc.field)
            return
        except ReltuiError as exc:
            self.show_error(exc.message)
            return
        self.show_error("")
        services = self.app.services
        self.app.run_db(self.commit, services, payload, then=self._saved, on_error=self._refused,
                        group="form-save", exclusive=True)

    def _saved(self, result: Any) -> None:
        self.app.data_changed()
        message = self.done(result) if callable(self.done) else self.done
        if message:
            self.app.notify(message, markup=False, timeout=3)
        self.dismiss(self.finished(result))

    def _refused(self, error: ReltuiError) -> None:
        self.show_error(error.message)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question: y or Enter says yes, n or Escape says no."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 64; max-width: 100%; height: auto; border: round $warning;
        background: $surface; padding: 0 1;
    }
    Confirm #confirm-title { text-style: bold; }
    Confirm #confirm-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, message: str, yes: str = "y  yes") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title", markup=False)
            yield Static(self.message, markup=False)
            yield Static(f"{self.yes} · n / Esc  no", id="confirm-keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
