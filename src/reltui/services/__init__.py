"""The use cases: one door for the TUI and the command line. No Textual here.

`Services` (every use case, on SQLAlchemy Core) is imported when first named, so
`reltui.services.reads` (plain-SQL reads) loads without SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reltui.services.core import Services

__all__ = ["Services"]


def __getattr__(name: str) -> Any:
    if name == "Services":
        from reltui.services.core import Services

        return Services
    raise AttributeError(f"module 'reltui.services' has no attribute {name!r}")
