"""Every use case, with SQLAlchemy loaded only when one that needs it is first called.

The TUI's first screens (Today, Parties) read through `Reads` (plain SQL), so the
app paints them without first importing SQLAlchemy and SQLModel: the better part
of a second on a slow machine. The rest of `Services` loads on first use, in the
worker thread that calls it, or sooner when the app asks for it (`load`) once it
has painted.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from reltui.services.reads import Reads

if TYPE_CHECKING:
    from reltui.services.core import Services


class LazyServices(Reads):
    """`Reads` at once; every other attribute from a `Services` over the same store, clock
    and user, made on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._services: Services | None = None
        self._loading = threading.Lock()

    def load(self) -> Services:
        """The full `Services` (importing SQLAlchemy the first time)."""
        if self._services is None:
            with self._loading:
                if self._services is None:
                    from reltui.services.core import Services

                    self._services = Services(self.store, clock=self.clock, user=self.user)
        return self._services

    def __getattr__(self, name: str) -> Any:
        # only for names Reads lacks; private ones are not forwarded (copy and pickle probe them)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)
