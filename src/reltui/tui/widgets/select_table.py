"""A DataTable whose Enter acts at once, in the key's own handling.

DataTable's Enter posts a RowSelected message, handled a moment later; a key typed
right after Enter (Enter and "$120" in one burst) is routed before that, to the table.
`select` is called straight from the key instead, so that the party it opens can hold
the keys typed after it (see ReltuiApp.open_party). A click still posts RowSelected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import DataTable


class SelectTable(DataTable):
    def __init__(self, *args: Any, select: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.select = select

    def action_select_cursor(self) -> None:
        self.select()
