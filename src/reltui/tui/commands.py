"""Command palette (ctrl+p): every screen, every action, and every party by name.

Party names are data, so hits show them as plain Content (the matcher's own
`highlight` parses markup, which a name like `[bold]x` would turn into styling).
Party search runs the same full-text query as the Parties list, in a thread.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from reltui.domain.text import for_terminal

PALETTE_PARTIES = 20


class ReltuiCommands(Provider):
    """Screens and app-wide actions."""

    def _commands(self) -> list[tuple[str, str, object]]:
        from reltui.tui.app import SECTIONS

        app = self.app
        commands: list[tuple[str, str, object]] = [
            (f"Go to {label}", tip, partial(app.action_section, mode))
            for mode, _key, label, tip in SECTIONS
        ]
        commands += [
            ("New party", "Add a person or an organisation", app.action_new_party),
            ("Log a contact", "A call, email, meeting... with a party", app.action_log_contact),
            ("Schedule a follow-up", "A dated promise to get in touch", app.action_schedule_follow_up),
            ("Import contacts", "vCard, Google or Outlook CSV, a reltui backup", app.action_import_file),
            ("Whose parties", "Everyone's, mine, a colleague's (cycles): Parties, Today, Agenda, "
             "Metrics", app.action_cycle_owner),
            ("Assign an owner", "Change the point of contact of the party in focus",
             app.action_assign_owner),
            ("Keys of this screen", "Every binding of the screen you are on", app.action_help),
        ]
        screen_commands = getattr(self.screen, "palette_commands", None)
        if callable(screen_commands):
            commands += screen_commands()
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class PartyCommands(Provider):
    """Every party, found by the words of its name, organisation, email, phone or tags."""

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        services = self.app.services
        try:
            rows = await asyncio.to_thread(services.list_parties, search=query,
                                           limit=PALETTE_PARTIES)
        except Exception:  # noqa: BLE001 - a palette search never crashes the app
            return
        matcher = self.matcher(query)
        for rank, row in enumerate(rows):
            name = for_terminal(row.name)
            label = f"{name} ({for_terminal(row.organisation)})" if row.organisation else name
            # full-text rank first, the fuzzy score to order ties; always a visible score
            score = max(matcher.match(name), 0.5) - rank * 0.001
            yield Hit(score, Content(label), partial(self.app.open_party, row.id),
                      text=label, help=f"Open the party · {row.rung.value} · {row.kind.value}")
