"""A table that holds only what is on screen: rows come from the database a page at a time.

The built-in DataTable builds every row up front (about 11 s for 100,000 rows), so
lists that can grow with the book use this instead. It is a Line-API `ScrollView`:
`render_line(y)` draws one row from a small LRU cache of pages; a page that is not
cached yet is read in a thread worker and the rows repaint when it arrives. The
total comes from a COUNT, so the scrollbar is right from the first paint.

The owner supplies a `Source`: `count()` and `page(offset, limit)` (both run in a
worker, never on the UI thread), and `cells(row)` giving the strings to show.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reltui.domain.text import for_terminal

Row = TypeVar("Row")

PAGE_SIZE = 100
CACHED_PAGES = 24


@dataclass(frozen=True)
class Column:
    title: str
    width: int | None = None  # None: shares what the fixed columns leave
    right: bool = False
    drop: int = 0  # when the terminal is narrow, columns with the highest drop go first (0: never)


MIN_FLEXIBLE = 14  # the narrowest a shared column (a name, a subject) may get


@dataclass(frozen=True)
class Source(Generic[Row]):
    """Where a VirtualTable's rows come from."""

    count: Callable[[], int]
    page: Callable[[int, int], Sequence[Row]]
    cells: Callable[[Row], Sequence[str]]
    tone: Callable[[Row], str] = lambda row: ""  # "", "alert" or "dim"


class VirtualTable(ScrollView, Generic[Row], can_focus=True):
    """Rows read a page at a time; cursor with the usual keys; Enter selects."""

    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--alert",
        "virtual-table--dim",
        "virtual-table--empty",
    }

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; overflow-x: hidden; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $surface-lighten-2; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent 60%; text-style: bold; }
    VirtualTable > .virtual-table--alert { color: $error; }
    VirtualTable > .virtual-table--dim { color: $text-muted; }
    VirtualTable > .virtual-table--empty { color: $text-muted; text-style: italic; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Highlighted):
        pass

    class Loaded(Message):
        """The count (and first page) arrived after a reload."""

        def __init__(self, table: VirtualTable, total: int) -> None:
            super().__init__()
            self.table = table
            self.total = total

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], source: Source[Row] | None = None, *,
                 empty: str = "Nothing here.", page_size: int = PAGE_SIZE,
                 name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        self.source = source
        self.empty = empty
        self.page_size = page_size
        self.total: int | None = None
        self._pages: OrderedDict[int, Sequence[Row]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0

    # -- data ------------------------------------------------------------------------------

    def set_source(self, source: Source[Row], *, keep_cursor: bool = False) -> None:
        self.source = source
        self.reload(keep_cursor=keep_cursor)

    def reload(self, *, keep_cursor: bool = True) -> None:
        """Count again and read the visible page; the old rows stay until the new arrive."""
        if self.source is None:
            return
        self._generation += 1
        generation, source = self._generation, self.source
        first = self._page_of(int(self.scroll_y)) if keep_cursor else 0
        size = self.page_size

        def load() -> tuple[int, dict[int, Sequence[Row]]]:
            total = source.count()
            pages = {first: source.page(first * size, size)}
            cursor_page = self._page_of(self.cursor) if keep_cursor else 0
            if cursor_page != first and cursor_page * size < total:
                pages[cursor_page] = source.page(cursor_page * size, size)
            return total, pages

        def loaded(result: tuple[int, dict[int, Sequence[Row]]]) -> None:
            if generation != self._generation:
                return
            total, pages = result
            self.total = total
            self._pages.clear()
            self._pending.clear()
            self._pages.update(pages)
            self.virtual_size = Size(1, total + 1)
            if not keep_cursor:
                self.scroll_to(y=0, animate=False, immediate=True)
            self.cursor = min(self.cursor if keep_cursor else 0, max(0, total - 1))
            self.refresh()
            self.post_message(self.Loaded(self, total))

        self.app.run_db(load, then=loaded, group=f"table-{id(self)}", exclusive=True)

    def _page_of(self, index: int) -> int:
        return max(0, index) // self.page_size

    def row_at(self, index: int) -> Row | None:
        """The row at `index` if its page is cached; else ask for the page and return None."""
        if self.total is None or not 0 <= index < self.total:
            return None
        page = self._page_of(index)
        rows = self._pages.get(page)
        if rows is None:
            self._fetch(page)
            return None
        self._pages.move_to_end(page)
        offset = index - page * self.page_size
        return rows[offset] if offset < len(rows) else None

    def _fetch(self, page: int) -> None:
        if page in self._pending or self.source is None:
            return
        self._pending.add(page)
        generation, source, size = self._generation, self.source, self.page_size

        def got(rows: Sequence[Row]) -> None:
            self._pending.discard(page)
            if generation != self._generation:
                return
            self._pages[page] = rows
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
            self.refresh()
            if self._page_of(self.cursor) == page:
                self._announce()

        self.app.run_db(source.page, page * size, size, then=got, group=f"page-{id(self)}")

    @property
    def current(self) -> Row | None:
        """The row under the cursor (None while its page loads or when empty)."""
        return self.row_at(self.cursor)

    # -- cursor ----------------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, cursor: int) -> None:
        top = int(self.scroll_y)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= top + self._visible_rows:
            self.scroll_to(y=cursor - self._visible_rows + 1, animate=False, immediate=True)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Highlighted(self, row))

    def _clamp(self, index: int) -> int:
        return max(0, min(index, (self.total or 0) - 1))

    def action_move(self, step: int) -> None:
        self.cursor = self._clamp(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.cursor = self._clamp(self.cursor + step * self._visible_rows)

    def action_jump(self, index: int) -> None:
        self.cursor = self._clamp(index if index >= 0 else (self.total or 0) - 1)

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event) -> None:  # noqa: ANN001 - keyboard first, but the mouse works
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < (self.total or 0):
            self.cursor = index

    def on_resize(self) -> None:
        if self.total is not None:
            self.virtual_size = Size(1, self.total + 1)

    # -- drawing ---------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        """Each column's width; on a narrow terminal the most droppable columns get 0."""
        shown = list(self.columns)
        while True:
            fixed = sum(c.width or 0 for c in shown)
            flexible = [c for c in shown if c.width is None]
            spare = width - fixed - (len(shown) - 1)
            droppable = [c for c in shown if c.drop]
            if spare >= MIN_FLEXIBLE * len(flexible) or not droppable:
                break
            shown.remove(max(droppable, key=lambda c: c.drop))
        spare = max(0, spare)
        share = spare // len(flexible) if flexible else 0
        widths = []
        for column in self.columns:
            if column not in shown:
                widths.append(0)
            else:
                widths.append(column.width if column.width is not None else share)
        if flexible:  # the first shared column takes the remainder
            first = self.columns.index(flexible[0])
            widths[first] += spare - share * len(flexible)
        return widths

    def _line(self, cells: Sequence[str], width: int, style: Style) -> Strip:
        text = Text(style=style, no_wrap=True, end="")
        for i, (column, size) in enumerate(zip(self.columns, self._widths(width), strict=False)):
            if size <= 0:
                continue
            cell = Text(for_terminal(cells[i] if i < len(cells) else ""), no_wrap=True, end="")
            cell.truncate(size, overflow="ellipsis")
            if column.right:
                cell.pad_left(size - cell.cell_len)
            else:
                cell.pad_right(size - cell.cell_len)
            if text.cell_len:
                text.append(" ")
            text.append_text(cell)
        # Text.render leaves the Text's own style out (Console.render adds it): apply it here
        segments = list(Segment.apply_style(text.render(self.app.console, end=""), style))
        return Strip(segments).adjust_cell_length(width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("virtual-table--header")
            return self._line([c.title for c in self.columns], width, style)
        if self.total == 0:
            if y == 1:
                style = base + self.get_component_rich_style("virtual-table--empty")
                return Strip([Segment(for_terminal(self.empty)[:width], style)]).adjust_cell_length(
                    width, base)
            return Strip.blank(width, base)
        index = int(self.scroll_y) + y - 1
        if self.total is None or index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        style = base
        if row is not None and self.source is not None:
            tone = self.source.tone(row)
            if tone:
                style = style + self.get_component_rich_style(f"virtual-table--{tone}")
        if index == self.cursor:
            style = style + self.get_component_rich_style("virtual-table--cursor")
        if row is None or self.source is None:
            return self._line(["…"], width, style)
        return self._line(self.source.cells(row), width, style)
