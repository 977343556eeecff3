"""The store's errors, and what a driver's failure means to an analyst: every write or read
that fails reaches the window and the command line as one of these, in plain words.
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)

from db.records import SpanRecord


class StoreError(Exception):
    """A write that the store refused; the message says why. Nothing was written."""


class SpanError(StoreError):
    """A span that does not fit its document (offsets, covered text, label, status)."""


class ConflictError(StoreError):
    """The span was changed or deleted by someone else since it was read. When one span is
    concerned: ``span_uuid``, ``theirs`` (it now; None: deleted) and ``mine`` (what the
    refused write would have made; None: a deletion, or not known)."""

    def __init__(self, message: str, *, span_uuid=None, theirs=None, mine=None):
        super().__init__(message)
        self.span_uuid: str | None = span_uuid
        self.theirs: SpanRecord | None = theirs
        self.mine: SpanRecord | None = mine


class NotAllowedError(StoreError):
    """The server's roles refused the write (row-level security, a missing privilege, or
    the team's guard trigger); the message says in plain words who may do what."""


class UnavailableError(StoreError):
    """The database could not be read or written: a read-only file or folder, a full disk,
    a lock held too long, a lost connection. Nothing was written; the same action may
    succeed when retried once the cause is gone. The message says the cause in plain words."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


# What the databases say, and what it means to an analyst.
_CAUSES = (
    ("readonly database", "the project file is read-only"),
    ("read-only transaction", "the database server accepts no writes (read-only)"),
    ("unable to open database file", "the project's file or folder cannot be opened or written"),
    ("disk is full", "the disk is full"),
    ("could not extend file", "the database server's disk is full"),
    ("no space left", "the disk is full"),
    ("database is locked", "another program holds the project locked"),
    ("disk i/o error", "the disk reported an error"),
    ("permission denied", "permission to the database was denied"),
)


def first_line(exc: BaseException) -> str:
    """The driver's own message of a database error, first line only."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def unavailable(exc: BaseException) -> UnavailableError:
    """The plain-words :class:`UnavailableError` for a driver's or the system's failure."""
    first = first_line(exc)
    lowered = str(getattr(exc, "orig", None) or exc).lower()
    for needle, meaning in _CAUSES:
        if needle in lowered:
            return UnavailableError(f"{meaning} ({first})")
    if isinstance(exc, (InterfaceError, OperationalError)) or "connection" in lowered:
        return UnavailableError(f"the connection to the database was lost ({first})")
    return UnavailableError(f"the database failed ({first})")


def read_failure(exc: DBAPIError) -> StoreError:
    """What a failed read tells the analyst: the database refused the statement, or it
    could not be reached (:func:`unavailable`)."""
    if isinstance(exc, (DataError, IntegrityError, ProgrammingError)):
        return StoreError(f"the database refused: {first_line(exc)}")
    return unavailable(exc)


def write_failure(exc: DBAPIError) -> StoreError:
    """What a failed write tells the analyst; nothing of it was written.

    A unique key another session took first is a :class:`ConflictError`; a value or
    statement the database refuses, a :class:`StoreError`; a database that cannot be
    written or reached, :func:`unavailable`.
    """
    refused = not_allowed(exc)
    if refused is not None:
        return refused
    if isinstance(exc, IntegrityError):
        return ConflictError(
            "another session wrote the same thing at the same time; nothing was changed "
            f"({first_line(exc)})"
        )
    if isinstance(exc, (DataError, ProgrammingError)):
        return StoreError(f"the database refused the change: {first_line(exc)}")
    return unavailable(exc)


def not_allowed(exc: DBAPIError) -> NotAllowedError | None:
    """A write the server's roles refused (insufficient_privilege), else None. The team's
    guard trigger words its refusals itself; PostgreSQL's own get a plain sentence first."""
    first = first_line(exc)
    if getattr(exc.orig, "sqlstate", None) != "42501" and "row-level security" not in first:
        return None
    if "row-level security" in first or first.startswith("permission denied"):
        first = f"your role on this project does not allow this change (the server said: {first})"
    return NotAllowedError(first)


class LabelInUseError(StoreError):
    """A label still has spans; say what to do with them."""

    def __init__(self, label: str, count: int):
        super().__init__(f"label {label!r} is used by {count} span(s)")
        self.label = label
        self.count = count
