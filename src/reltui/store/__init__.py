"""The ground floor: engine, schema, migrations and queries. No Textual here."""

from reltui.store.engine import APPLICATION_ID, Store, open_store

__all__ = ["APPLICATION_ID", "Store", "open_store"]
