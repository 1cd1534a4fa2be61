"""The use cases: one door for the TUI and the command line. No Textual here."""

from reltui.services.core import Services

__all__ = ["Services"]
