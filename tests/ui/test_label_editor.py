"""The label editor driven as a person does: each button pressed with the mouse, each
question (a name, a colour, a key, what becomes of a label's spans) answered by typing and
pressing OK; the labels and spans are checked in the database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QColorDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from desktop.ui.label_editor import LabelEditorDialog, LabelRemovalDialog
from tests.ui.driving import (
    CTRL,
    Answer,
    activate,
    answer_dialog,
    button_of,
    choose_in_combo,
    click_row,
    press,
    press_ok,
    type_into,
)


def open_editor(qtbot, window) -> LabelEditorDialog:
    """Edit → Labels… (Ctrl+L)."""
    qtbot.keyClick(window.view, Qt.Key.Key_L, CTRL)
    editor = QApplication.activeModalWidget()
    assert isinstance(editor, LabelEditorDialog) and editor.isVisible()
    return editor


def labels(window) -> list[tuple]:
    """(name, colour, key, description) of every label, in order, from the database."""
    return [
        (label.name, label.colour, label.shortcut, label.description)
        for label in window.session.store.labels()
    ]


def names(window) -> list[str]:
    return [label[0] for label in labels(window)]


def choose(qtbot, editor: LabelEditorDialog, name: str) -> None:
    """Click a label in the editor's list."""
    click_row(qtbot, editor.list, editor.names().index(name))
    assert editor.current().name == name


def answer_text(qtbot, text: str) -> Answer:
    """Type ``text`` into the next question (a line or several) and press OK."""

    def fill(dialog: QInputDialog) -> None:
        edits = dialog.findChildren(QLineEdit) + dialog.findChildren(QPlainTextEdit)
        edit = next(edit for edit in edits if edit.isVisible())
        type_into(qtbot, edit, text)
        press_ok(qtbot, dialog)

    return answer_dialog(qtbot, QInputDialog, fill)


def answer_colour(qtbot, colour: str) -> Answer:
    """Type a colour into the colour dialog's HTML field and press OK."""

    def fill(dialog: QColorDialog) -> None:
        edit = dialog.findChild(QLineEdit, "qt_colorname_lineedit")
        type_into(qtbot, edit, colour)
        press_ok(qtbot, dialog)

    return answer_dialog(qtbot, QColorDialog, fill)


def click(qtbot, editor: LabelEditorDialog, button: str, answer=None) -> None:
    """Press one of the editor's buttons; ``answer`` (a list from answer_…) must have been
    used by the dialog the button opened."""
    press(qtbot, editor.buttons[button])
    if answer is not None:
        assert answer, f"{button} opened no dialog"
        activate(qtbot, editor)


def undo(qtbot, editor: LabelEditorDialog) -> None:
    """Ctrl+Z while the editor is open."""
    activate(qtbot, editor)
    qtbot.keyClick(editor.list, Qt.Key.Key_Z, CTRL)


def test_every_button_of_the_label_editor_edits_the_labels(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    editor = open_editor(qtbot, window)
    assert names(window) == ["Claim", "Actor", "Event"]

    click(qtbot, editor, "Add…", answer_text(qtbot, "Location"))
    assert names(window) == ["Claim", "Actor", "Event", "Location"]
    assert editor.names() == names(window) and editor.current().name == "Location"
    assert window.palette.button(window.session.label_by_name("Location").id) is not None

    click(qtbot, editor, "Key…", answer_text(qtbot, "l"))
    click(qtbot, editor, "Colour…", answer_colour(qtbot, "#123abc"))
    click(qtbot, editor, "Description…", answer_text(qtbot, "A place named in the article"))
    click(qtbot, editor, "Rename…", answer_text(qtbot, "Place"))
    assert labels(window)[3] == ("Place", "#123ABC", "L", "A place named in the article")
    assert editor.names()[3] == "Place" and editor.list.item(3).text().endswith("L · 4")

    click(qtbot, editor, "Move up")
    assert names(window) == ["Claim", "Actor", "Place", "Event"]
    click(qtbot, editor, "Move up")
    click(qtbot, editor, "Move down")
    assert names(window) == ["Claim", "Actor", "Place", "Event"]
    assert editor.names() == names(window) and editor.current().name == "Place"
    # The palette follows: Place is now the third label, with key 3.
    place = window.session.label_by_name("Place").id
    assert window.view.label_of_key("3") == place and window.view.label_of_key("l") == place

    # Ctrl+Z in the editor takes the edits back one by one.
    for expected in (
        ["Claim", "Place", "Actor", "Event"],  # the move down
        ["Claim", "Actor", "Place", "Event"],  # the second move up
        ["Claim", "Actor", "Event", "Place"],  # the first move up
    ):
        undo(qtbot, editor)
        assert names(window) == expected and editor.names() == expected
    qtbot.keyClick(editor.list, Qt.Key.Key_Z, CTRL)  # the rename
    assert labels(window)[3] == ("Location", "#123ABC", "L", "A place named in the article")

    # A key that is not one letter, or is another label's, is refused and said.
    choose(qtbot, editor, "Location")
    click(qtbot, editor, "Key…", answer_text(qtbot, "12"))
    assert "single letter" in window.last_error
    click(qtbot, editor, "Key…", answer_text(qtbot, "A"))
    assert "already belongs" in window.last_error
    assert labels(window)[3][2] == "L"

    # Cancel leaves the label as it was.
    answered = answer_dialog(qtbot, QInputDialog, lambda dialog: press(qtbot, cancel_of(dialog)))
    click(qtbot, editor, "Rename…", answered)
    assert labels(window)[3][0] == "Location"


def cancel_of(dialog) -> QPushButton:
    return button_of(dialog, QDialogButtonBox.StandardButton.Cancel)


def test_removing_an_unused_label_and_undoing_it(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    editor = open_editor(qtbot, window)
    click(qtbot, editor, "Add…", answer_text(qtbot, "Temporary"))
    asked = answer_dialog(qtbot, LabelRemovalDialog, lambda dialog: press(qtbot, cancel_of(dialog)))
    click(qtbot, editor, "Remove…")
    asked.stop()
    assert not asked  # nothing to ask: no span has the label
    assert names(window) == ["Claim", "Actor", "Event"] and editor.names() == names(window)
    undo(qtbot, editor)
    assert names(window) == ["Claim", "Actor", "Event", "Temporary"]


def spans_by_label(window) -> dict[str, set[str]]:
    store = window.session.store
    found: dict[str, set[str]] = {}
    for span in store.spans_where():
        found.setdefault(span.label, set()).add(span.uuid)
    return found


def test_removing_a_label_in_use_moves_its_spans_and_undo_brings_them_back(
    qtbot, project, open_window
):
    window = open_window(project, annotator="analyst_a")
    before = spans_by_label(window)
    assert before["Event"] and before["Claim"]
    editor = open_editor(qtbot, window)
    choose(qtbot, editor, "Event")

    def move_to_claim(dialog: LabelRemovalDialog) -> None:
        question = dialog.findChild(QLabel).text()
        assert f"used by {len(before['Event'])} span(s)" in question
        assert dialog.move_spans.isChecked()
        choose_in_combo(qtbot, dialog.target, "Claim")
        press_ok(qtbot, dialog)

    click(qtbot, editor, "Remove…", answer_dialog(qtbot, LabelRemovalDialog, move_to_claim))
    after = spans_by_label(window)
    assert "Event" not in names(window) and "Event" not in editor.names()
    assert "Event" not in after and after["Claim"] == before["Claim"] | before["Event"]
    drawn = {s.record.label for s in window.view.spans()}
    assert "Event" not in drawn

    undo(qtbot, editor)
    assert names(window) == ["Claim", "Actor", "Event"] and editor.names() == names(window)
    assert spans_by_label(window) == before


def test_removing_a_label_in_use_deletes_its_spans_and_undo_brings_them_back(
    qtbot, project, open_window
):
    window = open_window(project, annotator="analyst_a")
    before = spans_by_label(window)
    editor = open_editor(qtbot, window)
    choose(qtbot, editor, "Event")

    def cancel(dialog: LabelRemovalDialog) -> None:
        press(qtbot, cancel_of(dialog))

    click(qtbot, editor, "Remove…", answer_dialog(qtbot, LabelRemovalDialog, cancel))
    assert spans_by_label(window) == before and "Event" in names(window)

    def delete_them(dialog: LabelRemovalDialog) -> None:
        press(qtbot, dialog.delete_spans)
        assert not dialog.target.isEnabled()
        press_ok(qtbot, dialog)

    click(qtbot, editor, "Remove…", answer_dialog(qtbot, LabelRemovalDialog, delete_them))
    after = spans_by_label(window)
    assert names(window) == ["Claim", "Actor"] and editor.names() == ["Claim", "Actor"]
    assert after == {label: uuids for label, uuids in before.items() if label != "Event"}
    assert all(window.session.store.span(uuid) is None for uuid in before["Event"])

    undo(qtbot, editor)
    assert spans_by_label(window) == before and names(window) == ["Claim", "Actor", "Event"]
    store, document_id = window.session.store, window.session.document.id
    shown = {
        span.uuid
        for span in store.spans(document_id, statuses=["accepted"])
        if span.label == "Event" and span.annotator == "analyst_a"
    }
    assert shown and {s.uuid for s in window.view.spans() if s.record.label == "Event"} == shown
