"""The one error type every refusal raises.

Its message is written for the person at the keyboard: the command line
prints it on one line, the TUI shows it in a notification.
"""

from __future__ import annotations


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
