"""A table that holds only what is on screen: rows come from the database a page at a time.

The built-in DataTable builds every row up front (about 11 s for 100,000 rows), so
lists that can grow with the book use this instead. It is a Line-API `ScrollView`:
`render_line(y)` draws one row from a small LRU cache of pages; a page that is not
cached yet is read in a thread worker and the rows repaint when it arrives. Drawn lines
are kept too (keyed by row, width and cursor), so moving the cursor or scrolling back
redraws only what changed.

After a reload the first page and the count are read in two workers at once: the rows
paint as soon as they arrive (a short first page is its own count), the count follows.
A source that can read its last rows without the count (`tail`) has them read in a third
worker, so End paints in one step; the pages either side of the visible rows are read
ahead as the view moves, from a neighbouring page's edge when the source can seek
(`after`, `before`) rather than by OFFSET.

The owner supplies a `Source`: `count()` and `page(offset, limit)` (both run in a
worker, never on the UI thread), and `cells(row)` giving the strings to show.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reltui.domain.text import for_terminal

Row = TypeVar("Row")

PAGE_SIZE = 100
CACHED_PAGES = 24
CACHED_LINES = 400  # drawn lines kept: a few screens' worth
COUNT_GRACE = 0.04  # seconds the first rows wait for their count, to be drawn with it in one go


@dataclass(frozen=True)
class Column:
    title: str
    width: int | None = None  # None: shares what the fixed columns leave
    right: bool = False
    drop: int = 0  # when the terminal is narrow, columns with the highest drop go first (0: never)
    least: int = 0  # a shared column: the narrowest it gets before a column is dropped (0: MIN_FLEXIBLE)


MIN_FLEXIBLE = 14  # the narrowest a shared column (a name, a subject) may get


@dataclass(frozen=True)
class Source(Generic[Row]):
    """Where a VirtualTable's rows come from."""

    count: Callable[[], int]
    page: Callable[[int, int], Sequence[Row]]
    cells: Callable[[Row], Sequence[str]]
    tone: Callable[[Row], str] = lambda row: ""  # "", "alert" or "dim"
    # the last `n` rows, in order, read without the count (e.g. the order reversed): End's rows
    tail: Callable[[int], Sequence[Row]] | None = None
    # the `n` rows just after / just before a row (keyset paging): a page next to a cached one
    after: Callable[[Row, int], Sequence[Row]] | None = None
    before: Callable[[Row, int], Sequence[Row]] | None = None


def fit(value: str, size: int, *, right: bool = False) -> str:
    """`value` in exactly `size` cells: cut with an ellipsis when too long, padded when short."""
    length = cell_len(value)
    if length > size:
        return set_cell_size(value, size - 1) + "…" if size > 0 else ""
    padding = " " * (size - length)
    return padding + value if right else value + padding


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

    class Loaded(Message):
        """The count arrived after a reload (the first rows may have come before it)."""

        def __init__(self, table: VirtualTable, total: int) -> None:
            super().__init__()
            self.table = table
            self.total = total

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], source: Source[Row] | None = None, *,
                 empty: str = "Nothing here.", page_size: int = PAGE_SIZE,
                 select: Callable[[Row], object] | None = None,
                 name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        # Enter on a row: `select(row)`, called in the key's own handling rather than through a
        # message, so that a screen it opens can take the keys typed right after Enter
        self.select = select
        self.source = source
        self.empty = empty
        self.page_size = page_size
        self.total: int | None = None  # rows known to exist (see `counted`)
        self.counted = False  # False while the count of the last reload is on its way
        self._pages: OrderedDict[int, Sequence[Row]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self._fresh = False  # the cached pages come from the current generation
        self._early_total: int | None = None  # a count that came before the first rows
        self._waiting: dict[int, Sequence[Row]] | None = None  # rows waiting for their count
        self._tail: Sequence[Row] = ()  # the last rows, read with the first (Source.tail)
        self._lines: OrderedDict[tuple, Strip] = OrderedDict()
        self._styles: tuple[Style, ...] | None = None
        self._widths_for: dict[int, list[int]] = {}

    # -- data ------------------------------------------------------------------------------

    def set_source(self, source: Source[Row], *, keep_cursor: bool = False) -> None:
        self.source = source
        self.reload(keep_cursor=keep_cursor)

    def reload(self, *, keep_cursor: bool = True) -> None:
        """Read the visible page and count again, at once. The old rows stay until the new
        arrive; rows and count are drawn together when the count follows within COUNT_GRACE,
        else the rows are drawn first and the count when it comes."""
        if self.source is None:
            return
        self._generation += 1
        self._fresh = False
        self._early_total = None
        self._waiting = None
        self._tail = ()
        self.counted = False
        generation, source, size = self._generation, self.source, self.page_size
        wanted = {0}
        if keep_cursor:
            wanted = {self._page_of(int(self.scroll_y)), self._page_of(self.cursor)}

        def read() -> dict[int, Sequence[Row]]:
            pages = {}
            for page in sorted(wanted):
                rows = source.page(page * size, size)
                pages[page] = rows
                if len(rows) < size:
                    break  # past the end: the pages after it are empty
            return pages

        def take(pages: dict[int, Sequence[Row]]) -> None:
            self._pages.clear()
            self._pending.clear()
            self._lines.clear()
            self._pages.update(pages)
            self._fresh = True

        def got_pages(pages: dict[int, Sequence[Row]]) -> None:
            if generation != self._generation:
                return
            last = max(pages)
            if self._early_total is not None or len(pages[last]) < size:
                take(pages)  # with the count, or the end of the list in sight: that is the count
                self._set_total(self._early_total if self._early_total is not None
                                else last * size + len(pages[last]), keep_cursor)
                return
            self._waiting = pages
            self.set_timer(COUNT_GRACE, lambda: show_early(pages))

        def show_early(pages: dict[int, Sequence[Row]]) -> None:
            if generation != self._generation or self._waiting is not pages:
                return
            self._waiting = None
            take(pages)
            # a provisional total until the count comes: the rows read so far, and one more page
            # (the scrollbar waits for the count: a change of size costs a layout of the screen)
            last = max(pages)
            known = last * size + len(pages[last]) + size
            self._show_total(max(known, self.total or 0) if keep_cursor else known, keep_cursor,
                             resize=False)

        def counted(total: int) -> None:
            if generation != self._generation or self.counted:
                return
            if self._waiting is not None:  # the rows came a moment ago: draw both at once
                take(self._waiting)
                self._waiting = None
                self._set_total(total, keep_cursor)
            elif not self._fresh:  # keep the old rows on screen until the new ones come
                self._early_total = total
            else:
                self._set_total(total, keep_cursor=True)

        def got_tail(rows: Sequence[Row]) -> None:
            if generation == self._generation:
                self._tail = rows  # used once the count places them

        group = f"table-{id(self)}"
        self.app.run_db(read, then=got_pages, group=group, exclusive=True)
        self.app.run_db(source.count, then=counted, group=f"{group}-count", exclusive=True)
        if source.tail is not None:
            self.app.run_db(source.tail, size, then=got_tail, group=f"{group}-tail", exclusive=True)

    def set_rows(self, rows: Sequence[Row], cells: Callable[[Row], Sequence[str]],
                 tone: Callable[[Row], str] = lambda row: "", *, keep_cursor: bool = False) -> None:
        """Show rows already in memory: drawn at once, no worker (there is nothing to read)."""
        rows = list(rows)
        self.source = Source(count=lambda: len(rows), page=lambda offset, limit: rows[offset:offset + limit],
                             cells=cells, tone=tone)
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self._lines.clear()
        size = self.page_size
        for page in range(min(CACHED_PAGES, -(-len(rows) // size))):
            self._pages[page] = rows[page * size:(page + 1) * size]
        self._fresh = True
        self._early_total = None
        self._waiting = None
        self._tail = ()
        self._set_total(len(rows), keep_cursor)

    def _show_total(self, total: int, keep_cursor: bool, *, resize: bool = True) -> None:
        self.total = total
        if resize:
            self.virtual_size = Size(1, total + 1)
        if not keep_cursor:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = min(self.cursor if keep_cursor else 0, max(0, total - 1))
        self.refresh()

    def _set_total(self, total: int, keep_cursor: bool) -> None:
        self.counted = True
        self._show_total(total, keep_cursor)
        self.post_message(self.Loaded(self, total))

    def _page_of(self, index: int) -> int:
        return max(0, index) // self.page_size

    def row_at(self, index: int) -> Row | None:
        """The row at `index` if its page is cached; else ask for the page and return None."""
        if self.total is None or not 0 <= index < self.total:
            return None
        tail, total = self._tail, self.total
        if tail and self.counted and len(tail) <= total and index >= total - len(tail):
            return tail[index - (total - len(tail))]
        page = self._page_of(index)
        rows = self._pages.get(page)
        if rows is None:
            self._fetch(page)
            return None
        self._pages.move_to_end(page)
        offset = index - page * self.page_size
        return rows[offset] if offset < len(rows) else None

    def _fetch(self, page: int) -> None:
        if page in self._pending or page in self._pages or self.source is None or page < 0:
            return
        if self.total is not None and page * self.page_size >= self.total:
            return
        self._pending.add(page)
        generation, source, size = self._generation, self.source, self.page_size
        read: tuple = (source.page, page * size, size)
        if self._fresh:  # a neighbour of this generation: seek from its edge, not OFFSET
            previous, following = self._pages.get(page - 1), self._pages.get(page + 1)
            if source.after is not None and previous is not None and len(previous) == size:
                read = (source.after, previous[-1], size)
            elif source.before is not None and following:
                read = (source.before, following[0], size)

        def got(rows: Sequence[Row]) -> None:
            self._pending.discard(page)
            if generation != self._generation:
                return
            self._pages[page] = rows
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
            top = int(self.scroll_y)
            first, last = page * size, page * size + len(rows) - 1
            if first < top + self._visible_rows and last >= top:  # on screen: draw its rows
                self.refresh()
            if self._page_of(self.cursor) == page:
                self._announce()

        self.app.run_db(*read, then=got, group=f"page-{id(self)}")

    def _read_ahead(self) -> None:
        """Ask for the pages around the visible rows, so the next PageDown or PageUp is cached."""
        if self.total is None or not self._fresh:
            return
        top, height = int(self.scroll_y), self._visible_rows
        for index in (top - height, top + 2 * height):
            if 0 <= index < self.total:
                self._fetch(self._page_of(index))

    @property
    def current(self) -> Row | None:
        """The row under the cursor (None while its page loads or when empty)."""
        return self.row_at(self.cursor)

    # -- cursor ----------------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, cursor: int) -> None:
        top = int(self.scroll_y)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= top + self._visible_rows:
            self.scroll_to(y=cursor - self._visible_rows + 1, animate=False, immediate=True)
        if int(self.scroll_y) == top:  # no scroll: only the two cursor lines change
            for index in {old, cursor}:
                if top <= index < top + self._visible_rows:
                    self.refresh_line(index + 1)  # row `index` is drawn on line index - top + 1
        else:
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
        if row is not None and self.select is not None:
            self.select(row)

    def on_click(self, event) -> None:  # noqa: ANN001 - keyboard first, but the mouse works
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < (self.total or 0):
            self.cursor = index

    def on_resize(self) -> None:
        self._widths_for.clear()
        if self.total is not None:
            self.virtual_size = Size(1, self.total + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    # -- drawing ---------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        """Each column's width; on a narrow terminal the most droppable columns get 0."""
        cached = self._widths_for.get(width)
        if cached is not None:
            return cached
        shown = list(self.columns)
        while True:
            fixed = sum(c.width or 0 for c in shown)
            flexible = [c for c in shown if c.width is None]
            spare = width - fixed - (len(shown) - 1)
            droppable = [c for c in shown if c.drop]
            if spare >= sum(c.least or MIN_FLEXIBLE for c in flexible) or not droppable:
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
        self._widths_for[width] = widths
        return widths

    def _line(self, cells: Sequence[str], width: int, style: Style) -> Strip:
        """One row as a single segment: the cells cut or padded to their columns' widths.
        The text is plain (never markup) and made safe for the terminal first."""
        parts = []
        for i, (column, size) in enumerate(zip(self.columns, self._widths(width), strict=False)):
            if size > 0:
                parts.append(fit(for_terminal(cells[i] if i < len(cells) else ""), size,
                                 right=column.right))
        text = " ".join(parts)
        return Strip([Segment(text, style)], cell_len(text)).adjust_cell_length(width, style)

    def _paint_styles(self) -> tuple[Style, ...]:
        """(base, header, cursor, alert, dim, empty), read once per paint rather than once per
        line; the cursor's is laid over a row's own. When they change (focus, theme) the drawn
        lines are dropped."""
        base = self.rich_style
        component = self.get_component_rich_style
        styles = (base, base + component("virtual-table--header"), component("virtual-table--cursor"),
                  *(base + component(f"virtual-table--{name}") for name in ("alert", "dim", "empty")))
        if styles != self._styles:
            self._styles = styles
            self._lines.clear()
        return styles

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_styles()
        self._read_ahead()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base, header, cursor, alert, dim, empty = self._styles or self._paint_styles()
        if y == 0:
            return self._cached(("header", width), lambda: self._line(
                [c.title for c in self.columns], width, header))
        if self.total == 0:
            if y == 1:
                return Strip([Segment(for_terminal(self.empty)[:width], empty)]).adjust_cell_length(
                    width, base)
            return Strip.blank(width, base)
        index = int(self.scroll_y) + y - 1
        if self.total is None or index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        is_cursor = index == self.cursor
        source = self.source
        if row is None or source is None:
            return self._line(["…"], width, base + cursor if is_cursor else base)

        def draw() -> Strip:
            style = {"alert": alert, "dim": dim}.get(source.tone(row), base)
            return self._line(source.cells(row), width, style + cursor if is_cursor else style)

        # a page read again holds equal rows; a reload drops every drawn line
        return self._cached((index, width, is_cursor), draw)

    def _cached(self, key: tuple, draw: Callable[[], Strip]) -> Strip:
        strip = self._lines.get(key)
        if strip is None:
            strip = self._lines[key] = draw()
            while len(self._lines) > CACHED_LINES:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(key)
        return strip
