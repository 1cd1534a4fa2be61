"""The footer: the keys of the screen in focus, drawn as one line of text.

Textual's Footer makes a widget per key and builds them all again whenever the
bindings change (a screen opens, the focus moves): on a screen with twenty keys
that was a quarter of the work from start to the first screen, and again on
every party opened. This bar draws the same line (the same theme colours, the
command palette's key on the right) from `Screen.active_bindings` as one widget;
a click on a key presses it, hovering shows what it does. Where the keys don't all
fit, those that fit are shown whole, and the help key (which lists every key)
stays at the right beside the palette's.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


PINNED = frozenset({"question_mark"})  # keys drawn at the right end, before the palette's


class _Span(NamedTuple):
    start: int
    end: int
    key: str
    enabled: bool
    tooltip: str


class KeyBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keybar--disabled { text-style: dim; }
        & > .keybar--rule { color: $foreground 20%; }
    }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled", "keybar--rule"}
    ALLOW_SELECT = False

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self._spans: list[_Span] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen) -> None:
        self.refresh()

    def _keys(self) -> tuple[list[tuple[str, str, str, bool, str]], tuple | None]:
        """(key, shown as, description, enabled, tooltip) per action, in the screen's order
        (an action's first key), and the command palette's key apart."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if (
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE) else None
        keys, seen, palette = [], set(), None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette_key:
                palette = (binding.key, app.get_key_display(binding), binding.description, enabled,
                           binding.tooltip or binding.description)
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding.key, app.get_key_display(binding), binding.description,
                             enabled, tooltip or binding.description))
        return keys, palette

    def render(self) -> Text:
        style = self.get_component_rich_style
        key_style, text_style = style("keybar--key"), style("keybar--description")
        dim = style("keybar--disabled")
        keys, palette = self._keys()
        # the keys from the left; at the right, whatever the width, the help key (it lists the
        # rest) and the palette's
        left, right = Text(no_wrap=True, overflow="crop", end=""), Text(no_wrap=True, end="")
        left_spans: list[_Span] = []
        right_spans: list[_Span] = []

        def add(line: Text, spans: list[_Span], key: str, shown: str, description: str,
                enabled: bool, tooltip: str) -> None:
            start = len(line)
            line.append(shown, key_style + dim if not enabled else key_style)
            if description:
                line.append(" " + description, text_style + dim if not enabled else text_style)
            spans.append(_Span(start, len(line), key, enabled, tooltip))
            line.append(" ")

        for item in keys:
            if item[0] in PINNED:
                add(right, right_spans, *item)
            else:
                add(left, left_spans, *item)
        if palette is not None:
            right.append("▏", style("keybar--rule"))
            add(right, right_spans, *palette)
        room = max(0, self.size.width - right.cell_len)
        if left.cell_len > room:  # the keys that fit whole, a space after each; `?` lists them all
            left_spans = [span for span in left_spans if span.end < room]
            left.truncate(left_spans[-1].end if left_spans else 0)
        left.truncate(room, pad=True)
        offset = len(left)
        self._spans = left_spans + [span._replace(start=span.start + offset, end=span.end + offset)
                                    for span in right_spans]
        left.append_text(right)
        return left

    def _span_at(self, x: int) -> _Span | None:
        return next((span for span in self._spans if span.start <= x < span.end), None)

    def on_click(self, event: events.Click) -> None:
        span = self._span_at(event.x)
        if span is None:
            return
        event.stop()
        if span.enabled:
            self.app.simulate_key(span.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        span = self._span_at(event.x)
        self.tooltip = span.tooltip if span is not None else None
