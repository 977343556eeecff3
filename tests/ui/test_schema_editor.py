"""The schema editor driven as a person does: Ctrl+L, a label clicked, Schema… pressed; each
attribute and relation added, edited, moved and removed with the buttons and answered by
typing; values spans carry recoded through the question it asks. The schemas and the spans'
attributes are checked in the database, and Ctrl+Z takes every change back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLabel

from db.schema import AttributeSpec, LabelSchema, RelationSpec
from db.store import Store
from desktop.ui.schema_editor import (
    AttributeDialog,
    RecodeDialog,
    RelationDialog,
    SchemaEditorDialog,
)
from tests.ui.driving import (
    CTRL,
    activate,
    answer_dialog,
    button_of,
    click_row,
    press,
    press_ok,
    tick,
    type_into,
)
from tests.ui.test_label_editor import choose, open_editor


def open_schema_editor(qtbot, window, label: str) -> SchemaEditorDialog:
    """Ctrl+L, click the label, press Schema…"""
    editor = open_editor(qtbot, window)
    choose(qtbot, editor, label)
    press(qtbot, editor.buttons["Schema…"])
    schema_editor = QApplication.activeModalWidget()
    assert isinstance(schema_editor, SchemaEditorDialog) and schema_editor.isVisible()
    assert schema_editor.windowTitle() == f"Attributes and relations of {label}"
    return schema_editor


def schema_of(window, label: str) -> LabelSchema:
    """The label's schema as the database has it."""
    return next(each.schema for each in window.session.store.labels() if each.name == label)


def select_by_keys(qtbot, combo: QComboBox, text: str) -> None:
    """Type the start of an entry into a closed list, as one picks with the keyboard."""
    qtbot.keyClicks(combo, text)
    assert combo.currentText() == text


def cancel(qtbot, dialog) -> None:
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Cancel))


def edit(qtbot, schema_editor, which: str, button: str, answer=None) -> None:
    """Press a button of the attributes' or the relations' list; ``answer`` (from
    answer_dialog) must have answered the dialog it opened."""
    buttons = (
        schema_editor.attribute_buttons if which == "attribute" else schema_editor.relation_buttons
    )
    press(qtbot, buttons[button])
    if answer is not None:
        assert answer, f"{button} opened no dialog"
    activate(qtbot, schema_editor)


def pick(qtbot, schema_editor, which: str, row: int) -> None:
    tree = schema_editor.attributes if which == "attribute" else schema_editor.relations
    click_row(qtbot, tree, row)
    assert tree.currentIndex().row() == row


def undo(qtbot, schema_editor) -> None:
    """Ctrl+Z while the schema editor is open."""
    activate(qtbot, schema_editor)
    qtbot.keyClick(schema_editor.attributes, Qt.Key.Key_Z, CTRL)


def fill_attribute(qtbot, *, name=None, kind=None, values=None, required=None, description=None):
    """An answer to the attribute dialog: type what is given over what is there, then OK."""

    def fill(dialog: AttributeDialog) -> None:
        if name is not None:
            type_into(qtbot, dialog.name, name)
        if kind is not None:
            select_by_keys(qtbot, dialog.kind, kind)
        if values is not None:
            type_into(qtbot, dialog.values, "")
            for line in values:
                qtbot.keyClicks(dialog.values, line)
                qtbot.keyClick(dialog.values, Qt.Key.Key_Return)
        if required is not None and dialog.required.isChecked() != required:
            press(qtbot, dialog.required)
        if description is not None:
            type_into(qtbot, dialog.description, description)
        press_ok(qtbot, dialog)
        assert not dialog.isVisible(), dialog.error.text()

    return fill


def test_attributes_are_added_edited_moved_and_removed_and_undone(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Actor")
    assert [spec.name for spec in before.attributes] == ["type"]
    schema_editor = open_schema_editor(qtbot, window, "Actor")
    assert schema_editor.attributes.topLevelItem(0).text(0) == "type"

    role = fill_attribute(
        qtbot,
        name="role",
        values=["leader", "spokesperson", "member"],
        required=True,
        description="The actor's part in the story",
    )
    edit(qtbot, schema_editor, "attribute", "Add…", answer_dialog(qtbot, AttributeDialog, role))
    added = schema_of(window, "Actor").attributes[1]
    assert added == AttributeSpec(
        "role",
        "choice",
        ("leader", "spokesperson", "member"),
        True,
        "The actor's part in the story",
    )
    row = schema_editor.attributes.topLevelItem(1)
    assert [row.text(column) for column in range(4)] == [
        "role",
        "choice",
        "leader, spokesperson, member",
        "required",
    ]
    assert schema_editor.attributes.currentIndex().row() == 1

    edit(qtbot, schema_editor, "attribute", "Move up")
    assert [spec.name for spec in schema_of(window, "Actor").attributes] == ["role", "type"]
    assert schema_editor.attributes.currentIndex().row() == 0

    since = fill_attribute(qtbot, name="active since", kind="date", required=False)
    edit(qtbot, schema_editor, "attribute", "Edit…", answer_dialog(qtbot, AttributeDialog, since))
    assert schema_of(window, "Actor").attributes[0] == AttributeSpec(
        "active since", "date", (), False, "The actor's part in the story"
    )

    pick(qtbot, schema_editor, "attribute", 1)
    edit(qtbot, schema_editor, "attribute", "Remove…")
    assert [spec.name for spec in schema_of(window, "Actor").attributes] == ["active since"]
    assert schema_editor.attributes.topLevelItemCount() == 1

    # Ctrl+Z takes the changes back one by one, in the database and in the list.
    for expected in (["active since", "type"], ["role", "type"], ["type", "role"], ["type"]):
        undo(qtbot, schema_editor)
        assert [spec.name for spec in schema_of(window, "Actor").attributes] == expected
        assert [
            schema_editor.attributes.topLevelItem(row).text(0)
            for row in range(schema_editor.attributes.topLevelItemCount())
        ] == expected
    assert schema_of(window, "Actor") == before
    # And Ctrl+Shift+Z puts the first back.
    qtbot.keyClick(schema_editor.attributes, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert [spec.name for spec in schema_of(window, "Actor").attributes] == ["type", "role"]


def test_an_attribute_that_does_not_fit_is_refused_where_it_is_typed(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Actor")
    schema_editor = open_schema_editor(qtbot, window, "Actor")
    said = []

    def refused(typing):
        def answer(dialog: AttributeDialog) -> None:
            typing(dialog)
            press_ok(qtbot, dialog)
            assert dialog.isVisible() and dialog.error.isVisible()
            said.append(dialog.error.text())
            cancel(qtbot, dialog)

        return answer

    def same_name(dialog):
        type_into(qtbot, dialog.name, "type")
        qtbot.keyClicks(dialog.values, "x")

    def no_values(dialog):
        type_into(qtbot, dialog.name, "role")

    def no_name(dialog):
        select_by_keys(qtbot, dialog.kind, "text")

    for typing in (same_name, no_values, no_name):
        asked = answer_dialog(qtbot, AttributeDialog, refused(typing))
        edit(qtbot, schema_editor, "attribute", "Add…", asked)
    assert said == [
        "Two attributes are called 'type'",
        "Attribute 'role': a choice needs its values",
        "An attribute needs a name",
    ]
    assert schema_of(window, "Actor") == before
    assert not window.session.undo_stack.canUndo()


def test_relations_are_added_edited_and_removed_and_undone(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Claim")
    assert [spec.type for spec in before.relations] == ["source", "about"]
    schema_editor = open_schema_editor(qtbot, window, "Claim")

    def mentions(dialog: RelationDialog) -> None:
        assert dialog.windowTitle() == "New relation from Claim"
        type_into(qtbot, dialog.type, "mentions")
        tick(qtbot, dialog.targets, {"Actor", "Event"})
        press(qtbot, dialog.many)
        qtbot.keyClicks(dialog.key, "m")
        type_into(qtbot, dialog.description, "Who or what the claim names")
        press_ok(qtbot, dialog)

    edit(qtbot, schema_editor, "relation", "Add…", answer_dialog(qtbot, RelationDialog, mentions))
    assert schema_of(window, "Claim").relations[2] == RelationSpec(
        "mentions", ("Actor", "Event"), True, False, "M", "Who or what the claim names"
    )
    row = schema_editor.relations.topLevelItem(2)
    assert [row.text(column) for column in range(5)] == [
        "mentions",
        "Actor, Event",
        "several",
        "",
        "Alt+M",
    ]

    # A reserved key, or another relation's, is refused in the dialog.
    said = []

    def key(letter):
        def answer(dialog: RelationDialog) -> None:
            type_into(qtbot, dialog.key, letter)
            press_ok(qtbot, dialog)
            assert dialog.isVisible()
            said.append(dialog.error.text())
            cancel(qtbot, dialog)

        return answer

    for letter in ("f", "S"):
        edit(
            qtbot,
            schema_editor,
            "relation",
            "Edit…",
            answer_dialog(qtbot, RelationDialog, key(letter)),
        )
    assert said == [
        "Relation 'mentions': Alt+F opens a menu; choose another letter",
        "Two relations use the key 'S'",
    ]

    def any_span_no_key(dialog: RelationDialog) -> None:
        tick(qtbot, dialog.targets, set())
        press(qtbot, dialog.required)
        type_into(qtbot, dialog.key, "")
        press_ok(qtbot, dialog)

    edit(
        qtbot,
        schema_editor,
        "relation",
        "Edit…",
        answer_dialog(qtbot, RelationDialog, any_span_no_key),
    )
    assert schema_of(window, "Claim").relations[2] == RelationSpec(
        "mentions", (), True, True, None, "Who or what the claim names"
    )
    assert schema_editor.relations.topLevelItem(2).text(1) == "any span"

    pick(qtbot, schema_editor, "relation", 0)
    edit(qtbot, schema_editor, "relation", "Move down")
    edit(qtbot, schema_editor, "relation", "Remove…")
    assert [spec.type for spec in schema_of(window, "Claim").relations] == ["about", "mentions"]

    for expected in (
        ["about", "source", "mentions"],
        ["source", "about", "mentions"],
        ["source", "about", "mentions"],  # the edit: "mentions" as it was added
    ):
        undo(qtbot, schema_editor)
        assert [spec.type for spec in schema_of(window, "Claim").relations] == expected
    assert schema_of(window, "Claim").relations[2].key == "M"
    undo(qtbot, schema_editor)
    assert schema_of(window, "Claim") == before


@pytest.fixture
def stances(project) -> dict[str, str]:
    """Four of the project's claims with a stance: uuid -> stance."""
    wanted = ["supports", "supports", "neutral", "opposes"]
    with Store.open(project) as store:
        claims = store.spans_where(labels=["Claim"])[: len(wanted)]
        assert len(claims) == len(wanted)
        for claim, stance in zip(claims, wanted, strict=True):
            store.update_span(claim.uuid, attributes={"stance": stance})
    return {claim.uuid: stance for claim, stance in zip(claims, wanted, strict=True)}


def stance_of(window, uuids) -> dict[str, str | None]:
    store = window.session.store
    return {uuid: store.span(uuid).attributes.get("stance") for uuid in uuids}


def test_a_value_in_use_taken_away_is_changed_to_another_and_undo_brings_it_back(
    qtbot, project, stances, open_window
):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Claim")
    schema_editor = open_schema_editor(qtbot, window, "Claim")
    neutral = next(uuid for uuid, stance in stances.items() if stance == "neutral")

    # "neutral" becomes "mixed": the claim that has it is asked about.
    edits = fill_attribute(qtbot, values=["supports", "opposes", "mixed"])
    asked = []

    def to_opposes(dialog: RecodeDialog) -> None:
        asked.append(dialog.findChild(QLabel).text())
        assert dialog.change_values.isChecked()
        assert dialog.replacement.currentText() == "mixed"  # the value just added
        select_by_keys(qtbot, dialog.replacement, "opposes")
        press_ok(qtbot, dialog)

    recoded = answer_dialog(qtbot, RecodeDialog, to_opposes)
    edit(qtbot, schema_editor, "attribute", "Edit…", answer_dialog(qtbot, AttributeDialog, edits))
    assert recoded and "1 Claim span(s) have <b>stance</b> “neutral” (1)" in asked[0]
    assert schema_of(window, "Claim").attribute("stance").values == ("supports", "opposes", "mixed")
    assert stance_of(window, stances) == {**stances, neutral: "opposes"}

    undo(qtbot, schema_editor)
    assert schema_of(window, "Claim") == before
    assert stance_of(window, stances) == stances


def test_removing_an_attribute_in_use_asks_and_cancel_changes_nothing(
    qtbot, project, stances, open_window
):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Claim")
    schema_editor = open_schema_editor(qtbot, window, "Claim")
    pick(qtbot, schema_editor, "attribute", 0)

    def cancelled(dialog: RecodeDialog) -> None:
        assert "4 Claim span(s)" in dialog.findChild(QLabel).text()
        assert not dialog.change_values.isEnabled()  # nothing left to change them to
        cancel(qtbot, dialog)

    asked = answer_dialog(qtbot, RecodeDialog, cancelled)
    edit(qtbot, schema_editor, "attribute", "Remove…", asked)
    assert schema_of(window, "Claim") == before and stance_of(window, stances) == stances
    assert not window.session.undo_stack.canUndo()

    def cleared(dialog: RecodeDialog) -> None:
        assert dialog.clear_values.isChecked()
        press_ok(qtbot, dialog)

    asked = answer_dialog(qtbot, RecodeDialog, cleared)
    edit(qtbot, schema_editor, "attribute", "Remove…", asked)
    assert [spec.name for spec in schema_of(window, "Claim").attributes] == ["certainty"]
    assert stance_of(window, stances) == dict.fromkeys(stances)

    undo(qtbot, schema_editor)
    assert schema_of(window, "Claim") == before and stance_of(window, stances) == stances


def change_stance_to_yes_no(qtbot, window) -> SchemaEditorDialog:
    """Make the claims' stance a yes / no, the spans' stances all "yes"."""
    schema_editor = open_schema_editor(qtbot, window, "Claim")
    pick(qtbot, schema_editor, "attribute", 0)

    def to_yes(dialog: RecodeDialog) -> None:
        replacements = [dialog.replacement.itemText(i) for i in range(dialog.replacement.count())]
        assert replacements == ["yes", "no"]
        select_by_keys(qtbot, dialog.replacement, "yes")
        press_ok(qtbot, dialog)

    recoded = answer_dialog(qtbot, RecodeDialog, to_yes)
    yes_no = fill_attribute(qtbot, kind="yes / no")
    edit(qtbot, schema_editor, "attribute", "Edit…", answer_dialog(qtbot, AttributeDialog, yes_no))
    assert recoded
    return schema_editor


def test_changing_the_kind_of_an_attribute_in_use_recodes_its_values(
    qtbot, project, stances, open_window
):
    window = open_window(project, annotator="me")
    change_stance_to_yes_no(qtbot, window)
    assert schema_of(window, "Claim").attribute("stance").kind == "yesno"
    assert stance_of(window, stances) == dict.fromkeys(stances, True)


def test_undoing_a_kind_change_brings_the_values_back(qtbot, project, stances, open_window):
    window = open_window(project, annotator="me")
    before = schema_of(window, "Claim")
    schema_editor = change_stance_to_yes_no(qtbot, window)
    undo(qtbot, schema_editor)
    assert window.last_error == ""
    assert schema_of(window, "Claim") == before and stance_of(window, stances) == stances


def test_a_choice_becoming_text_keeps_its_values_without_asking(
    qtbot, project, stances, open_window
):
    window = open_window(project, annotator="me")
    schema_editor = open_schema_editor(qtbot, window, "Claim")
    pick(qtbot, schema_editor, "attribute", 0)
    asked = answer_dialog(qtbot, RecodeDialog, lambda dialog: press_ok(qtbot, dialog))
    as_text = fill_attribute(qtbot, kind="text")
    edit(qtbot, schema_editor, "attribute", "Edit…", answer_dialog(qtbot, AttributeDialog, as_text))
    assert not asked  # every stance is still a value of a text attribute
    assert schema_of(window, "Claim").attribute("stance").kind == "text"
    assert stance_of(window, stances) == stances


def test_enter_on_an_attribute_edits_it_and_the_editor_stays_open(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    schema_editor = open_schema_editor(qtbot, window, "Event")
    pick(qtbot, schema_editor, "attribute", 2)
    titles = answer_dialog(qtbot, AttributeDialog, fill_attribute(qtbot, description="Where"))
    qtbot.keyClick(schema_editor.attributes, Qt.Key.Key_Return)
    assert titles == ["Attribute of Event"]
    activate(qtbot, schema_editor)
    assert schema_editor.isVisible()
    assert schema_of(window, "Event").attribute("location").description == "Where"
