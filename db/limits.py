"""What a value must be for a project to hold it on SQLite and on PostgreSQL alike.

PostgreSQL enforces the column lengths of ``db/tables.py``, keeps INTEGER to 32 bits and
refuses a NUL character in text; SQLite enforces none of it (and its ``length()`` and
``substr()`` stop at a NUL, so a text with one could not be tagged past it). A project
moves between the two, so every write that takes values from outside checks them here
first, and both refuse the same values with the same message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import orjson

from db.tables import Annotation, Annotator, Document, Entity, Label, Relation, ReviewDecision


class LimitError(ValueError):
    """A value that no project can hold; the message names it and says why."""


def _length(table: Any, column: str) -> int:
    return table.__table__.c[column].type.length


LABEL_NAME = _length(Label, "name")
LABEL_KIND = _length(Label, "kind")
LABEL_COLOUR = _length(Label, "colour")
LABEL_SHORTCUT = _length(Label, "shortcut")
ANNOTATOR_NAME = _length(Annotator, "name")
RELATION_TYPE = _length(Relation, "type")
UUID = _length(Annotation, "uuid")
TIMESTAMP = _length(Annotation, "created_at")
PUBLISHED = _length(Document, "published")
LANGUAGE = _length(Document, "language")
REVIEW_KIND = _length(ReviewDecision, "kind")
REVIEW_ACTION = _length(ReviewDecision, "action")
assert (
    UUID == _length(Entity, "uuid") == _length(Relation, "uuid") == _length(ReviewDecision, "uuid")
)

# Offsets, versions and positions are INTEGER columns: 32 bits on PostgreSQL.
INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1
# What a JSON column (metadata, attributes) may hold and still be exported: orjson writes
# integers of 64 bits (signed, or unsigned) and nests at most 254 levels.
JSON_INTEGER_MIN = -(2**63)
JSON_INTEGER_MAX = 2**64 - 1
JSON_DEPTH = 100

_UNFIT = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME  # JSON types only
# Unicode's control characters (category Cc: C0, DEL, C1) and its line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def check_text(value: str, what: str) -> str:
    """``value`` if it holds neither a NUL character nor half of a surrogate pair.

    PostgreSQL refuses a NUL; no database driver encodes a lone surrogate (JSON's
    ``"\\ud800"`` decodes to one), which is no character at all.
    """
    found = _UNFIT.search(value)
    if found is not None:
        index = found.start()
        if value[index] == "\x00":
            raise LimitError(f"{what} holds a NUL character (U+0000) at character {index + 1}")
        raise LimitError(
            f"{what} holds a lone surrogate (U+{ord(value[index]):04X}) at character "
            f"{index + 1}: half of an emoji's UTF-16 encoding, not a character"
        )
    return value


def check_one_line(value: str, what: str) -> str:
    """``value`` if it holds no control character (TAB, line breaks, the C0 and C1 codes,
    DEL) and no line or paragraph separator: a name is one line of visible text.

    XML 1.0 cannot hold most control characters at all, not even as ``&#1;`` (Label
    Studio's labelling config is XML), and brat's configuration and annotation files
    break their lines at the rest.
    """
    found = _CONTROL.search(value)
    if found is not None:
        index = found.start()
        raise LimitError(
            f"{what} {value[:40]!r} holds a control character or line break "
            f"(U+{ord(value[index]):04X}) at character {index + 1}; names are one line of text"
        )
    return value


def is_plain(value: str) -> bool:
    """Whether ``value`` holds neither a NUL nor a lone surrogate (:func:`check_text`
    says which, and where)."""
    return _UNFIT.search(value) is None


def check_name(value: str, limit: int, what: str) -> str:
    """``value`` if it is at most ``limit`` characters long and fit text (:func:`check_text`)."""
    if len(value) > limit:
        shown = repr(value[:40]) + ("…" if len(value) > 40 else "")
        raise LimitError(f"{what} {shown} is {len(value)} characters long; at most {limit} fit")
    return check_text(value, what)


def check_optional(value: str | None, limit: int | None, what: str) -> str | None:
    """:func:`check_name` (or, without a ``limit``, :func:`check_text`) unless ``value`` is None."""
    if value is None:
        return None
    if limit is None:
        return check_text(value, what)
    return check_name(value, limit, what)


def check_integer(value: int, what: str, low: int = INTEGER_MIN) -> int:
    """``value`` if it lies between ``low`` and :data:`INTEGER_MAX`."""
    if not low <= value <= INTEGER_MAX:
        shown = value if abs(value) < 10**30 else f"a number of {len(str(abs(value)))} digits"
        raise LimitError(f"{what} {shown} is out of range ({low} to {INTEGER_MAX})")
    return value


def check_real(value: float, what: str) -> float:
    """``value`` as a float, if it is a finite number (JSON's NaN and Infinity are not)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise LimitError(f"{what} should be a finite number, not {number}")
    return number


def check_json(value: Any, what: str) -> Any:
    """``value`` if a JSON column can hold it and an export write it back: nested at most
    :data:`JSON_DEPTH` levels, no lone surrogate, integers of 64 bits, finite numbers.

    A NUL is allowed here: JSON escapes it, and both databases keep it so.
    """
    try:  # at C speed, for what holds nothing unusual; the walk below says what is wrong
        data = orjson.dumps(value, option=_STRICT)
    except orjson.JSONEncodeError:
        pass
    else:  # no NaN or infinity (written as null), too few brackets to nest too deeply
        if b"null" not in data and data.count(b"[") + data.count(b"{") <= JSON_DEPTH:
            return value
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_surrogates(item, what)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not JSON_INTEGER_MIN <= item <= JSON_INTEGER_MAX:
                raise LimitError(f"{what} holds an integer beyond 64 bits")
        elif isinstance(item, float):
            check_real(item, what)
        elif isinstance(item, (dict, list, tuple)):
            if depth > JSON_DEPTH:
                raise LimitError(f"{what} is nested more than {JSON_DEPTH} levels deep")
            children: Iterable[Any] = item
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str):
                        raise LimitError(f"{what} has a key that is not text: {type(key).__name__}")
                    _check_surrogates(key, what)
                children = item.values()
            pending.extend((child, depth + 1) for child in children)
        else:
            raise LimitError(f"{what} holds a {type(item).__name__}, which JSON cannot")
    return value


def _check_surrogates(value: str, what: str) -> None:
    if _SURROGATE.search(value) is not None:
        check_text(value.replace("\x00", " "), what)  # says where the surrogate is
