"""Who owns a party: a prompt for the owner (its point of contact), with the names the book
knows offered as you type (owners, makers of records, and you); a new name is taken too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from reltui.domain.records import PartyRef
from reltui.domain.text import for_terminal
from reltui.tui.modals.base import Field, Form

NOBODY = ("", "-", "none", "nobody", "unassigned")


class OwnerPrompt(Form):
    """Type the owner (→ completes a known name); empty or - leaves the party to nobody."""

    def __init__(self, party: PartyRef, current: str | None, people: Sequence[str], me: str) -> None:
        super().__init__()
        self.party_ref = party
        self.current = current
        self.people = list(people)
        self.me = me
        self.form_title = f"Owner of {for_terminal(party.name)}"

    def fields(self) -> Sequence[Field]:
        return [Field("owner", "Owner", value=self.current or "",
                      placeholder="a name (→ completes one), or - for nobody")]

    def on_mount(self) -> None:
        # Textual runs Form.on_mount too (it hides every hint): show the names after it
        self.call_after_refresh(self._offer)

    def _offer(self) -> None:
        field = self.query_one("#owner", Input)
        field.suggester = SuggestFromList(self.people, case_sensitive=False)
        known = ", ".join(for_terminal(p) + (" (you)" if p == self.me else "") for p in self.people)
        hint = self.query_one("#owner-hint", Static)
        hint.update(f"Known: {known}" if known else "")
        hint.display = bool(known)

    def build(self, values: dict[str, str]) -> str | None:
        text = values["owner"].strip()
        if text.lower() in NOBODY:
            return None
        if text.lower() in ("me", "mine"):
            return self.me
        # a known name typed in another case is that person
        return next((p for p in self.people if p.lower() == text.lower()), text)

    def commit(self, services, owner: str | None) -> Any:  # noqa: ANN001 - runs in a worker
        return services.assign_owner(self.party_ref.id, owner)

    def done(self, owner: str | None) -> str:
        name = for_terminal(self.party_ref.name)
        return f"{for_terminal(owner)} now owns {name}." if owner else f"{name} now has no owner."
