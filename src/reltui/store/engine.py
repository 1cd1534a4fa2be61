"""Opening a database: the only module that knows which engine it talks to.

SQLite is the embedded default.  Every connection runs in WAL mode with
foreign keys on and a busy timeout; a write transaction starts with
`BEGIN IMMEDIATE`, so two processes that read then write queue for the lock
instead of failing with "database is locked".  New files (and so their WAL
and SHM files, which SQLite creates with the database file's mode) are made
0600: the book holds other people's personal data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reltui.domain.errors import ReltuiError, StoreRefused, StoreUnavailable
from reltui.domain.text import iso_value

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine

APPLICATION_ID = 0x52454C54  # "RELT": marks a file as a reltui database
BUSY_TIMEOUT_MS = 15_000
READERS = 2  # light-read connections open at once (Store.rows)
SQLITE_HEADER = b"SQLite format 3\x00"
RESTORE_HINT = "If this is your book, restore it from a backup (reltui restore BACKUP)."


def create_private_file(path: Path) -> None:
    """Create an empty file readable and writable by its owner alone (0600)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


class Store:
    """An open reltui database: transactions through SQLAlchemy Core, and light reads.

    SQLAlchemy (about a third of a second to import) is loaded when the first
    transaction needs it, not when the book is opened: `rows()` serves the hot
    read-only paths (the command line's `due`) without it.
    """

    def __init__(self, path: Path | None, *, url: str | None = None) -> None:
        self.path = path  # None for a book on a server
        self.url = url  # a server's SQLAlchemy URL (password hidden in `label`)
        self.dialect_name = "sqlite" if url is None else "postgresql"
        self._engine: Engine | None = None
        self._lock = threading.Lock()  # making the engine
        # light reads (rows) on query-only connections: up to READERS at once (a list's page
        # and its count run side by side, SQLite releasing the GIL), each kept for the next
        self._readers_free: list[sqlite3.Connection] = []
        self._readers_open = 0
        self._readers = threading.Condition()
        self._watch: sqlite3.Connection | None = None

    @property
    def engine(self) -> Engine:
        """SQLAlchemy's engine for this book, made on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    if self.is_sqlite:
                        self._engine = _sqlite_engine(self.path)
                    else:
                        self._engine = _postgres_engine(self.url)
        return self._engine

    @property
    def label(self) -> str:
        """Where the book lives, for messages and the title bar."""
        if self.url is not None:  # postgresql://ann@db.example:5433/reltui (no password, no options)
            from sqlalchemy.engine import make_url

            url = make_url(self.url)
            host = url.host or str(url.query.get("host", ""))
            port = url.port or url.query.get("port")
            return (f"postgresql://{url.username + '@' if url.username else ''}{host}"
                    f"{f':{port}' if port else ''}/{url.database}")
        return str(self.path)

    @property
    def identity(self) -> str:
        """What tells two books apart: the file, or the whole URL (its schema included)."""
        return self.url if self.url is not None else str(self.path.resolve())

    @property
    def is_sqlite(self) -> bool:
        return self.dialect_name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): all of it or none of it."""
        with _translate_errors(self):
            with self.engine.connect().execution_options(reltui_write=True) as conn:
                with conn.begin():
                    if not self.is_sqlite:
                        from reltui.store import postgres

                        postgres.begin_write(conn)
                    yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot of the book."""
        with _translate_errors(self):
            with self.engine.connect().execution_options(**self._read_options) as conn:
                with conn.begin():
                    yield conn

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        """The rows of one read-only SELECT: plain SQL text with named `:parameters`.

        The same text SQLAlchemy's text() runs, so a query has one form: on SQLite it
        runs on the standard library's driver (a query-only connection, one statement
        is one snapshot), elsewhere through SQLAlchemy. Values come back as stored
        (dates as ISO text), exactly as text() returns them.
        """
        if not self.is_sqlite:
            return self._rows_through_sqlalchemy(sql, params)
        with _translate_errors(self):
            reader = self._take_reader()
            try:
                return reader.execute(sql, dict(params or {})).fetchall()
            finally:
                with self._readers:
                    self._readers_free.append(reader)
                    self._readers.notify()

    def _take_reader(self) -> sqlite3.Connection:
        with self._readers:
            while not self._readers_free and self._readers_open >= READERS:
                self._readers.wait()
            if self._readers_free:
                return self._readers_free.pop()
            self._readers_open += 1
        try:
            reader = _connect(self.path)
            reader.execute("PRAGMA query_only = ON")
        except BaseException:
            with self._readers:
                self._readers_open -= 1
                self._readers.notify()
            raise
        return reader

    @property
    def _read_options(self) -> dict[str, Any]:
        # PostgreSQL's default gives each statement its own snapshot; a read sees one
        return {} if self.is_sqlite else {"isolation_level": "REPEATABLE READ"}

    def _rows_through_sqlalchemy(self, sql: str, params: Mapping[str, Any] | None) -> list[tuple]:
        from sqlalchemy import text

        read_only = {} if self.is_sqlite else {"postgresql_readonly": True}
        with _translate_errors(self), self.engine.connect().execution_options(
                **self._read_options, **read_only) as conn, conn.begin():
            # as SQLite's driver returns them: dates, times and moments as ISO text
            return [tuple(iso_value(v) for v in row)
                    for row in conn.execute(text(sql), dict(params or {}))]

    def backup_to(self, dest: Path) -> None:
        """A consistent copy of the live database through SQLite's online backup API."""
        if not self.is_sqlite:
            raise StoreRefused("Backups by file copy are for SQLite books.")
        dest = Path(dest)
        tmp = dest.with_name(dest.name + ".part")
        if tmp.exists():
            tmp.unlink()
        create_private_file(tmp)
        raw = self.engine.raw_connection()
        try:
            target = sqlite3.connect(tmp)
            try:
                raw.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            raw.close()
        os.replace(tmp, dest)

    def change_counter(self) -> int:
        """A number that changes whenever any connection (another process too) commits.

        The TUI polls it to show what another terminal wrote, without a restart.
        """
        if not self.is_sqlite:
            return int(self.rows("SELECT value FROM meta WHERE key = 'changes'")[0][0])
        if self._watch is None:
            self._watch = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        return self._watch.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        with self._readers:
            for reader in self._readers_free:
                reader.close()
            self._readers_open -= len(self._readers_free)
            self._readers_free.clear()
        if self._engine is not None:
            self._engine.dispose()


@contextmanager
def _translate_errors(store: Store) -> Iterator[None]:
    """Turn the engine's operational failures into messages a user can act on."""
    try:
        yield
    except Exception as exc:
        refusal = _refusal(store, exc)
        if refusal is None:
            raise
        raise refusal from exc


def _refusal(store: Store, exc: Exception) -> ReltuiError | None:
    """What to tell the user about a driver error (raw, or wrapped by SQLAlchemy), if anything."""
    sa_exc = sys.modules.get("sqlalchemy.exc")  # loaded if SQLAlchemy raised it
    wrapped = sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)
    if not wrapped and not isinstance(exc, sqlite3.Error):
        return None
    orig = exc.orig if wrapped else exc
    if wrapped and type(orig).__module__.startswith("psycopg"):  # a book on a server
        message = str(orig).lower()
        if "read-only transaction" in message:
            return StoreUnavailable(f"{store.label} is read-only here: nothing was changed.")
        if isinstance(exc, sa_exc.OperationalError):
            return StoreUnavailable(f"Can't reach {store.label}: {_first_line(orig)}")
        return None
    if isinstance(exc, sa_exc.OperationalError if wrapped else sqlite3.OperationalError):
        message = str(orig or exc).lower()
        if "readonly" in message or "read-only" in message:
            return StoreUnavailable(f"{store.label} is read-only: nothing was changed.")
        if "disk is full" in message or "full" in message:
            return StoreUnavailable(f"The disk holding {store.label} is full: nothing was changed.")
        if "locked" in message or "busy" in message:
            return StoreUnavailable(f"{store.label} is busy in another program; try again in a moment.")
        if "unable to open" in message:
            return StoreUnavailable(f"Can't open {store.label}: {orig}.")
        return None
    if isinstance(orig, sqlite3.DatabaseError) and (
        "malformed" in str(orig) or "not a database" in str(orig)
    ):
        return StoreRefused(f"{store.label} is damaged ({orig}). {RESTORE_HINT}")
    return None


def _operational_errors() -> tuple[type[Exception], ...]:
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return (sqlite3.OperationalError,) + ((sa_exc.OperationalError,) if sa_exc else ())


def open_store(target: str | os.PathLike[str], *, upgrade: bool = True) -> Store:
    """Open (creating if need be) a reltui database at a path or a SQLAlchemy URL
    (sqlite:///PATH, or postgresql://USER@HOST/DBNAME for a team's shared book)."""
    target_text = os.fspath(target)
    if "://" in target_text:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(target_text)
        except ArgumentError:
            raise StoreRefused(f"{target_text!r} is not a database URL reltui can read.") from None
        if url.get_backend_name() == "postgresql":
            return _open_postgres(url.set(drivername="postgresql+psycopg"), upgrade=upgrade)
        if url.get_backend_name() != "sqlite":
            raise StoreRefused(
                f"reltui keeps its book in SQLite or PostgreSQL (got {url.get_backend_name()})."
            )
        if not url.database or url.database == ":memory:":
            raise StoreRefused("An in-memory database would lose everything on exit; give a file.")
        path = Path(url.database)
    else:
        path = Path(target_text)
    return _open_sqlite(path.expanduser(), upgrade=upgrade)


def _open_postgres(url: URL, *, upgrade: bool) -> Store:
    """Open the book in a PostgreSQL database (the schema of the URL's search_path, if
    given), creating its tables in an empty one."""
    from sqlalchemy.exc import DBAPIError

    from reltui.store import postgres

    if not url.database:
        raise StoreRefused("Name the database in the URL: postgresql://USER@HOST/DBNAME.")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreUnavailable("reltui needs the psycopg package to talk to PostgreSQL, and it is "
                               "missing from this installation: reinstall reltui.") from None
    store = Store(None, url=url.render_as_string(hide_password=False))
    try:
        with _translate_errors(store):
            with store.engine.connect() as conn:
                version = postgres.current_version(conn)
                if version == 0 and postgres.other_tables(conn):
                    raise StoreRefused(f"{store.label} holds another program's tables; give reltui "
                                       "a database (or schema) of its own. Nothing was changed.")
        if version > postgres.latest():
            raise StoreRefused(
                f"{store.label} was written by a newer reltui (schema {version}, this one knows "
                f"{postgres.latest()}); upgrade reltui to open it.")
        if version < postgres.latest():
            if version and not upgrade:
                raise StoreRefused(f"{store.label} needs an upgrade from schema {version}.")
            with _translate_errors(store), store.engine.begin() as conn:
                postgres.lock_writes(conn)
                # another reltui may have made or upgraded it before the lock was ours
                version = postgres.current_version(conn)
                if version < postgres.latest():
                    postgres.apply_steps(conn, version)
    except DBAPIError as exc:
        store.close()
        raise StoreUnavailable(f"Can't open {store.label}: {_first_line(exc.orig)}") from None
    except BaseException:
        store.close()
        raise
    return store


def _first_line(exc: BaseException | None) -> str:
    return (str(exc or "").strip().splitlines() or ["the server refused"])[0]


def _postgres_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    from reltui.store import postgres

    # a small pool: one person's TUI and its workers
    engine = create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        postgres.load_numbers_as_sqlite_does(dbapi_connection)

    return engine


def _open_sqlite(path: Path, *, upgrade: bool) -> Store:
    _check_file(path)
    is_new = not path.exists()
    if is_new:
        if not path.parent.is_dir():
            raise StoreUnavailable(f"The folder {path.parent} does not exist; create it first.")
        try:
            create_private_file(path)
        except PermissionError as exc:
            raise StoreUnavailable(f"Can't create {path}: the folder is not writable.") from exc
        except OSError as exc:
            raise StoreUnavailable(f"Can't create {path}: {exc.strerror}.") from exc
    store = Store(path)
    try:
        try:
            _prepare(store, is_new=is_new, upgrade=upgrade)
        except _operational_errors() as exc:
            raise _open_failure(path, exc) from exc
    except BaseException:
        store.close()
        if is_new and path.exists() and path.stat().st_size == 0:
            path.unlink()
        raise
    return store


def _open_failure(path: Path, exc: Exception) -> ReltuiError:
    """Why SQLite could not open the book, in words a user can act on."""
    message = str(getattr(exc, "orig", None) or exc).lower()
    if not os.access(path.parent, os.W_OK) or "readonly" in message or "read-only" in message:
        return StoreUnavailable(
            f"Can't open {path}: its folder is read-only, and SQLite keeps its write-ahead log "
            "beside the book. Copy the book to a folder you can write to; nothing was changed.")
    if "full" in message:
        return StoreUnavailable(f"Can't open {path}: the disk is full. Free some space; nothing "
                                "was changed.")
    return StoreUnavailable(f"Can't open {path} ({message}); nothing was changed.")


def _lone_index(shm: Path, wal: Path, *, wait: float = 0.5) -> bool:
    """True when the -shm file stays without its -wal. Another process closing the book
    deletes the log and then the index, and one opening it makes them one after the other:
    for an instant either looks like a lone index. Only one that lasts is refused."""
    deadline = time.monotonic() + wait
    while shm.exists() and not wal.exists():
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.02)
    return False


def _check_file(path: Path) -> None:
    """Refuse a file that is plainly not a SQLite database before SQLite touches it."""
    if not path.exists():
        return
    if path.is_dir():
        raise StoreRefused(f"{path} is a folder, not a database file.")
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except PermissionError as exc:
        raise StoreUnavailable(f"Can't read {path}: permission denied.") from exc
    if not header:
        return  # an empty file: a new database
    if not header.startswith(SQLITE_HEADER):
        raise StoreRefused(f"{path} is not a reltui database (it is not an SQLite file). {RESTORE_HINT}")
    if len(header) < 100:
        raise StoreRefused(f"{path} is damaged (the file is cut short). {RESTORE_HINT}")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    valid_sizes = {2**n for n in range(9, 17)}
    if page_size not in valid_sizes:
        raise StoreRefused(f"{path} is damaged (its header is invalid). {RESTORE_HINT}")
    pages_in_header = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    if _lone_index(shm, wal):
        # SQLite removes both when the last user closes; an index without its log means
        # the log was deleted, and changes committed to it may be gone.
        raise StoreRefused(
            f"{path} has its {shm.name} but its write-ahead log ({wal.name}) is missing, so "
            f"recent changes may be lost. If no reltui was running when it stopped, delete "
            f"{shm.name} and start again. {RESTORE_HINT}")
    # another process closing the book may delete its log between two looks: missing = empty
    try:
        wal_has_frames = wal.stat().st_size > 32
    except FileNotFoundError:
        wal_has_frames = False
    if (pages_in_header and change_counter == valid_for and not wal_has_frames
            and path.stat().st_size < pages_in_header * page_size):
        raise StoreRefused(f"{path} is damaged (the file is cut short). {RESTORE_HINT}")


def _connect(path: Path) -> sqlite3.Connection:
    """A standard-library connection set up as every connection to a book is."""
    db = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000,
                         isolation_level=None)
    try:
        _set_pragmas(db)
    except BaseException:
        db.close()
        raise
    return db


def _set_pragmas(db: sqlite3.Connection) -> None:
    # isolation_level None: transactions begin where we say (SQLAlchemy's "begin" event).
    db.isolation_level = None
    cursor = db.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _sqlite_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        _set_pragmas(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("reltui_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _prepare(store: Store, *, is_new: bool, upgrade: bool) -> None:
    """Check the file is ours, switch on WAL, and bring the schema up to date."""
    from reltui.store import migrations

    path = store.path
    db = _connect(path)  # autocommit mode: see _set_pragmas
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            raise StoreRefused(
                f"{path} belongs to another program (it is not a reltui database); "
                "nothing was changed."
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        version = 0
        if tables:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
    except sqlite3.DatabaseError as exc:
        if "readonly" in str(exc).lower():
            raise StoreUnavailable(f"{path} is read-only and needs setting up; nothing was changed.") from exc
        raise StoreRefused(f"{path} is damaged or not a reltui database ({exc}). {RESTORE_HINT}") from exc
    finally:
        db.close()

    if version > migrations.LATEST:
        raise StoreRefused(
            f"{path} was written by a newer reltui (schema {version}, this one knows "
            f"{migrations.LATEST}); upgrade reltui to open it, or restore a backup made by "
            "this version (reltui restore BACKUP)."
        )
    if version == migrations.LATEST:
        return
    if not upgrade:
        raise StoreRefused(f"{path} needs an upgrade from schema {version}.")
    if version > 0:
        backup = path.with_name(f"{path.stem}.schema{version}-{datetime.now():%Y%m%d-%H%M%S}.backup.db")
        store.backup_to(backup)
    with store.write() as conn:
        # Re-read inside the lock: another process may have upgraded meanwhile.
        version = migrations.current_version(conn)
        if version < migrations.LATEST:
            migrations.apply_steps(conn, version)
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")


def file_mode(path: Path) -> int:
    """The permission bits of a file (for tests and doctor checks)."""
    return stat.S_IMODE(path.stat().st_mode)


def copy_private(src: Path, dest: Path) -> None:
    """Copy a file so that the copy is readable by its owner alone."""
    create_private_file(dest)
    shutil.copyfile(src, dest)
