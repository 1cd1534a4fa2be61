"""Helpers for the TUI tests: press keys and wait for the database workers, read the screen."""

from __future__ import annotations

from datetime import datetime

from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.tui.app import ReltuiApp

NOW = datetime(2026, 11, 22, 10, 30)
TODAY = NOW.date()


def make_app(svc: Services, **kwargs) -> ReltuiApp:
    kwargs.setdefault("poll_seconds", None)
    return ReltuiApp(svc, db_label="book.db", **kwargs)


async def settle(app, pilot, rounds: int = 3) -> None:
    """Let messages flow and database workers finish (a worker's answer may start another)."""
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def type_text(app, pilot, text: str) -> None:
    await pilot.press(*[("space" if ch == " " else ch) for ch in text])
    await settle(app, pilot)


def screen_text(app) -> str:
    """What the terminal shows now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def add(svc: Services, name: str, **kwargs) -> int:
    return svc.add_party(PartyIn(name=name, **kwargs))


async def open_import(app, pilot, path) -> None:  # noqa: ANN001
    """Press i (import) and type `path` into the import screen's path field."""
    from textual.widgets import Input

    from reltui.tui.modals.data import ImportScreen

    await settle(app, pilot)
    await press(app, pilot, "i")
    assert isinstance(app.screen, ImportScreen)
    app.screen.query_one("#path", Input).value = str(path)
