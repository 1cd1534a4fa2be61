"""How a list shares its width between columns: fixed ones keep theirs, the shared ones
split the rest, and on a narrow terminal the most droppable columns go first, until each
shared column has at least its `least` (else MIN_FLEXIBLE) characters."""

from __future__ import annotations

import pytest

from reltui.tui.widgets.virtual_table import MIN_FLEXIBLE, Column, VirtualTable

AGENDA_LIKE = (Column("When", 9, drop=1), Column("Party", 20), Column("About", None, least=24),
               Column("Repeats", 9, drop=2))


def widths(columns, width: int) -> list[int]:  # noqa: ANN001
    return VirtualTable(columns)._widths(width)


@pytest.mark.parametrize(("width", "expected"), [
    (120, [9, 20, 79, 9]),  # room for all: the shared column takes the rest (less the gaps)
    (70, [9, 20, 29, 9]),
    (60, [9, 20, 29, 0]),  # the repeat rule goes before the text gets under 24
    (50, [0, 20, 29, 0]),  # then "When"
    (30, [0, 20, 9, 0]),  # nothing more to drop: the text gets what is left
])
def test_columns_drop_so_the_text_keeps_its_least(width, expected):
    assert widths(AGENDA_LIKE, width) == expected
    assert sum(expected) + sum(1 for w in expected if w) - 1 <= width


def test_without_a_least_a_shared_column_keeps_min_flexible():
    columns = (Column("Name", None), Column("Extra", 10, drop=1))
    assert widths(columns, MIN_FLEXIBLE + 11) == [MIN_FLEXIBLE, 10]
    assert widths(columns, MIN_FLEXIBLE + 10) == [MIN_FLEXIBLE + 10, 0]
