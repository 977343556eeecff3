"""Qt positions and Python offsets: the offset map, and the real view driven by selections."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor

from desktop.ui.document_view import DocumentView
from desktop.ui.offsets import OffsetMap

PIECES = [
    "a",
    "b",
    " ",
    "Iraq",
    "😀",
    "👍🏽",
    "🇮🇶",
    "👨\u200d👩\u200d👧",
    "❤\ufe0f",
    "e\u0301",
    "\u0301",
    "ع",
    "حزب الله",
    "\u200f",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\u2029",
    "\t",
    "«",
    "…",
]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


def qt_text(view: DocumentView) -> str:
    """The document as Qt holds it: paragraphs joined by U+2029, as selectedText gives them."""
    document = view.document()
    block = document.begin()
    parts = []
    while block.isValid():
        parts.append(block.text())
        block = block.next()
    return "\u2029".join(parts)


def as_qt(text: str) -> str:
    """What Qt makes of a Python text: line ends become paragraph separators."""
    return text.replace("\r\n", "\u2029").replace("\r", "\u2029").replace("\n", "\u2029")


@given(texts)
def test_the_map_agrees_with_utf16_counting(text):
    offsets = OffsetMap(text)
    assert offsets.qt_length == len(as_qt(text).encode("utf-16-le")) // 2
    for index in range(len(text) + 1):
        expected = len(as_qt(text[:index]).encode("utf-16-le")) // 2
        if index and text[index - 1] == "\r" and text[index : index + 1] == "\n":
            continue  # between \r and \n: no Python offset of its own in Qt
        assert offsets.to_qt(index) == expected
        assert offsets.to_python(expected) == index


@given(texts, st.integers(1, 6))
def test_the_map_is_exact_across_chunk_boundaries(text, chunk):
    """Cut the text into tiny chunks (as a long article is cut): nothing changes."""
    from desktop.ui import offsets as module

    saved = module.CHUNK
    module.CHUNK = chunk
    try:
        small = OffsetMap(text)
    finally:
        module.CHUNK = saved
    whole = OffsetMap(text)
    assert small.qt_length == whole.qt_length
    for index in range(len(text) + 1):
        assert small.to_qt(index) == whole.to_qt(index)
    for position in range(whole.qt_length + 1):
        assert small.to_python(position) == whole.to_python(position)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=texts, data=st.data())
def test_selections_in_the_real_view_map_back_to_the_same_text(qtbot, text, data):
    view = DocumentView()
    qtbot.addWidget(view)
    view.set_document(text)
    assert qt_text(view) == as_qt(text)
    assert view.offsets.qt_length == view.document().characterCount() - 1
    # Walk the cursor by what Qt calls characters (grapheme clusters), as arrow keys do.
    cursor = QTextCursor(view.document())
    stops = [0]
    while cursor.movePosition(QTextCursor.MoveOperation.NextCharacter):
        stops.append(cursor.position())
    anchor = data.draw(st.sampled_from(stops))
    position = data.draw(st.sampled_from(stops))
    cursor.setPosition(anchor)
    cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    start, end = view.python_selection()
    assert start <= end
    assert as_qt(text[start:end]) == cursor.selectedText()
    # Selecting those Python offsets again gives the same Qt selection.
    view.select_python_range(start, end)
    again = view.textCursor()
    assert (again.selectionStart(), again.selectionEnd()) == (
        min(anchor, position),
        max(anchor, position),
    )
