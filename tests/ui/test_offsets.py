"""Qt positions and Python offsets: the offset map, and the real view driven by selections."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
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


def expected_positions(text: str) -> dict[int, int]:
    """Each Python offset's Qt position, counted by encoding the text before it as Qt holds
    it (an offset between ``\r`` and ``\n`` has none of its own)."""
    return {
        index: len(as_qt(text[:index]).encode("utf-16-le")) // 2
        for index in range(len(text) + 1)
        if not (index and text[index - 1] == "\r" and text[index : index + 1] == "\n")
    }


def check_map(offsets: OffsetMap, text: str) -> None:
    assert offsets.python_length == len(text)
    assert offsets.qt_length == len(as_qt(text).encode("utf-16-le")) // 2
    assert type(offsets.qt_length) is int  # Qt takes no float for a position
    for index, expected in expected_positions(text).items():
        assert offsets.to_qt(index) == expected
        assert type(offsets.to_qt(index)) is int
        assert offsets.to_python(expected) == index


@given(texts)
def test_the_map_agrees_with_utf16_counting(text):
    check_map(OffsetMap(text), text)


@example("a\r\n\r\nb", 2)  # a chunk ends between \r and \n, and another CRLF follows
@example("\r\n\r\n\r\n", 1)
@example("a😀\r\nb", 2)
@given(texts, st.integers(1, 6))
def test_the_map_is_exact_across_chunk_boundaries(text, chunk):
    """Cut the text into tiny chunks (as a long article is cut): still exact."""
    from desktop.ui import offsets as module

    saved = module.CHUNK
    module.CHUNK = chunk
    try:
        small = OffsetMap(text)
    finally:
        module.CHUNK = saved
    check_map(small, text)


def test_a_selection_made_backwards_gives_its_offsets_in_order():
    text = "😀 Kata’ib\r\nHezbollah"
    offsets = OffsetMap(text)
    # Qt: 😀 is 2 units, CRLF one separator. "Kata’ib" runs from Python 2 to 9, Qt 3 to 10;
    # "Hezbollah" from Python 11 to 20, Qt 11 to 20.
    assert offsets.to_python_range(10, 3) == (2, 9)
    assert offsets.to_python_range(3, 10) == (2, 9)
    assert offsets.to_python_range(20, 11) == (11, 20)
    assert offsets.to_python_range(4, 4) == (3, 3)


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
