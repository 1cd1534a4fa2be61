"""The one error type every refusal raises.

Its message is written for the person at the keyboard: the command line
prints it on one line, the TUI shows it in a notification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the merge records import this module
    from reltui.domain.merge import FieldConflict, Merge
    from reltui.domain.records import PartyIn


class ReltuiError(Exception):
    """A refusal with a message fit to show a user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(ReltuiError):
    """Input that breaks a rule: a bad date, an unknown token, a score out of range."""


class NotFound(ReltuiError):
    """A party, follow-up or other record that does not exist."""


class Ambiguous(ReltuiError):
    """A reference that matches more than one record."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class StoreRefused(ReltuiError):
    """A database file that is not ours, is damaged, or is newer than this code."""


class StoreUnavailable(ReltuiError):
    """A database that cannot be written now: read-only, full disk, missing folder."""


class EditConflict(ReltuiError):
    """A profile edit that clashes with a change saved elsewhere since the form was opened.

    Nothing was written. `conflicts` holds, per field both sides changed, the value as
    the form was opened (base), as saved elsewhere (theirs) and as typed here (mine);
    `merged` is the profile with every other change of both sides (theirs where they
    clash); `current` is the profile as the book holds it now, the base of a retry;
    `names` maps the party ids among the values (referred by) to names, for showing.
    """

    def __init__(self, party_name: str, merge: Merge, current: PartyIn,
                 names: dict[int, str] | None = None) -> None:
        fields = ", ".join(c.label for c in merge.conflicts)
        super().__init__(
            f"{party_name} was changed elsewhere since you opened it, and so were the same "
            f"fields here ({fields}); nothing was saved. Pick which version to keep."
        )
        self.party_name = party_name
        self.merge = merge
        self.current = current
        self.names = names or {}

    @property
    def conflicts(self) -> tuple[FieldConflict, ...]:
        return self.merge.conflicts

    @property
    def merged(self) -> PartyIn:
        return self.merge.merged
