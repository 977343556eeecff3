"""Dialog controls pressed as a person presses them: the label and schema editors' Close, the
choices the removal and recode questions offer, the gold layer in export and training, the
suggest dialog's model folder, Browse…, every document and Cancel, the train dialog's Cancel;
and, in the window, the document's status box and the span table's F2. Each outcome is
checked in the window and in the database or on disk."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QProgressDialog, QTextBrowser

from db.store import Store
from desktop.ui import workers
from desktop.ui.export_dialog import ExportDialog
from desktop.ui.label_editor import LabelEditorDialog, LabelRemovalDialog
from desktop.ui.schema_editor import AttributeDialog, RecodeDialog, SchemaEditorDialog
from desktop.ui.suggestions import SuggestDialog, TrainDialog
from tests.conftest import CORPUS
from tests.ui.driving import (
    CTRL,
    SHIFT,
    activate,
    answer_dialog,
    answer_file_dialog,
    button_named,
    button_of,
    choose_in_combo,
    choose_menu_item,
    click_row,
    drag,
    press,
    press_ok,
    tick,
    type_into,
)
from tests.ui.test_annotating import FIRST, ready

FILES = sorted(path.name for path in CORPUS.glob("*.txt"))
TEXTS = {name: (CORPUS / name).read_text(encoding="utf-8") for name in FILES}
OPEN = "000_f40a1a98859d52a1.txt"  # the article ready() opens
assert TEXTS[OPEN] == FIRST

CLOSE = QDialogButtonBox.StandardButton.Close
CANCEL = QDialogButtonBox.StandardButton.Cancel


def finish(qtbot, job, timeout=120000) -> None:
    if job is not None and job in workers._running:
        with qtbot.waitSignal(job.ended, timeout=timeout):
            pass
    QApplication.processEvents()


def modal(kind):
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, kind) and dialog.isVisible(), dialog
    return dialog


def read(location: str, sql: str, *parameters) -> list[tuple]:
    """Rows of the project's database, read with sqlite3 (not Dossier's code)."""
    connection = sqlite3.connect(location)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def document_ids(location: str) -> dict[str, int]:
    """Corpus file name -> document id, read with sqlite3 (not Dossier's code)."""
    rows = read(location, "SELECT id, text FROM document")
    by_text = {text: number for number, text in rows}
    return {name: by_text[text] for name, text in TEXTS.items()}


def spans_of(location: str, annotator: str, status: str | None = None) -> list:
    """(document id, label, start, end, status, origin, note, attributes) of an annotator's
    spans, read with sqlite3."""
    query = (
        'SELECT s.document_id, l.name, s.start, s."end", s.status, s.origin, s.note, '
        "s.attributes FROM annotation s JOIN label l ON l.id = s.label_id "
        "JOIN annotator a ON a.id = s.annotator_id WHERE a.name = ?"
    )
    rows = read(location, query, annotator)
    return sorted(
        (*row[:7], json.loads(row[7]) if row[7] else {})
        for row in rows
        if status is None or row[4] == status
    )


# --- the label editor ------------------------------------------------------------------------


def open_label_editor(qtbot, window) -> LabelEditorDialog:
    qtbot.keyClick(window.view, Qt.Key.Key_L, CTRL)  # Edit → Labels…
    return modal(LabelEditorDialog)


def choose_label(qtbot, editor: LabelEditorDialog, name: str) -> None:
    click_row(qtbot, editor.list, editor.names().index(name))
    assert editor.current().name == name


def label_of_spans(location: str) -> dict[str, str]:
    """Span uuid -> label name, every span of the project, read with sqlite3."""
    return dict(
        read(location, "SELECT s.uuid, l.name FROM annotation s JOIN label l ON l.id = s.label_id")
    )


def test_the_label_editor_and_the_schema_editor_close_with_their_close_buttons(
    qtbot, project, open_window
):
    window = open_window(project, annotator="me")
    editor = open_label_editor(qtbot, window)
    choose_label(qtbot, editor, "Actor")
    press(qtbot, editor.buttons["Schema…"])
    schema_editor = modal(SchemaEditorDialog)
    press(qtbot, button_of(schema_editor, CLOSE))
    qtbot.waitUntil(lambda: not shiboken6.isValid(schema_editor))  # closed, and so deleted
    assert QApplication.activeModalWidget() is editor and editor.isVisible()
    press(qtbot, button_of(editor, CLOSE))
    assert not editor.isVisible() and QApplication.activeModalWidget() is None
    # The window has the keyboard again: a label key tags.
    activate(qtbot, window)
    view = ready(qtbot, window)
    start = FIRST.index("CENTCOM")
    drag(view, start, start + len("CENTCOM"))
    qtbot.keyClick(view, Qt.Key.Key_A)
    document = document_ids(project)[OPEN]
    assert [row[:5] for row in spans_of(project, "me")] == [
        (document, "Actor", start, start + 7, "accepted")
    ]


def test_removing_a_label_moves_its_spans_to_the_label_chosen(qtbot, project, open_window):
    before = label_of_spans(project)
    events = {uuid for uuid, label in before.items() if label == "Event"}
    assert events
    window = open_window(project, annotator="analyst_a")
    editor = open_label_editor(qtbot, window)
    choose_label(qtbot, editor, "Event")

    def move_to_actor(dialog: LabelRemovalDialog) -> None:
        press(qtbot, dialog.delete_spans)  # first the other answer…
        assert not dialog.target.isEnabled()
        press(qtbot, dialog.move_spans)  # …then "Move them to the label"
        assert dialog.target.isEnabled()
        choose_in_combo(qtbot, dialog.target, "Actor")
        press_ok(qtbot, dialog)

    answered = answer_dialog(qtbot, LabelRemovalDialog, move_to_actor)
    press(qtbot, editor.buttons["Remove…"])
    assert answered == ["Remove label Event"]
    after = label_of_spans(project)
    assert set(after) == set(before)  # no span lost
    assert after == {uuid: "Actor" if uuid in events else label for uuid, label in before.items()}
    assert "Event" not in editor.names()
    assert "Event" not in {name for (name,) in read(project, "SELECT name FROM label")}


# --- the schema editor's recode question --------------------------------------------------------


@pytest.fixture
def stances(project) -> dict[str, str]:
    """Four claims with a stance: uuid -> stance."""
    wanted = ["supports", "neutral", "opposes", "opposes"]
    with Store.open(project) as store:
        claims = store.spans_where(labels=["Claim"])[: len(wanted)]
        for claim, stance in zip(claims, wanted, strict=True):
            store.update_span(claim.uuid, attributes={"stance": stance})
    return {claim.uuid: stance for claim, stance in zip(claims, wanted, strict=True)}


def stored_stances(location: str, uuids) -> dict[str, str | None]:
    rows = dict(read(location, "SELECT uuid, attributes FROM annotation"))
    return {uuid: json.loads(rows[uuid] or "{}").get("stance") for uuid in uuids}


def edit_stance_values(qtbot, window, values: list[str], recode) -> list[str]:
    """Claim's schema: the stance's values become ``values``; ``recode`` answers the question
    about the values taken away. Returns the titles of the recode questions answered."""
    editor = open_label_editor(qtbot, window)
    choose_label(qtbot, editor, "Claim")
    press(qtbot, editor.buttons["Schema…"])
    schema_editor = modal(SchemaEditorDialog)
    click_row(qtbot, schema_editor.attributes, 0)
    assert schema_editor.attributes.currentItem().text(0) == "stance"

    def new_values(dialog: AttributeDialog) -> None:
        type_into(qtbot, dialog.values, "")
        for line in values:
            qtbot.keyClicks(dialog.values, line)
            qtbot.keyClick(dialog.values, Qt.Key.Key_Return)
        press_ok(qtbot, dialog)

    asked = answer_dialog(qtbot, RecodeDialog, recode)
    edited = answer_dialog(qtbot, AttributeDialog, new_values)
    press(qtbot, schema_editor.attribute_buttons["Edit…"])
    assert edited
    return list(asked)


def test_values_taken_away_are_changed_to_the_value_chosen(qtbot, project, stances, open_window):
    window = open_window(project, annotator="me")

    def change_to_supports(dialog: RecodeDialog) -> None:
        press(qtbot, dialog.clear_values)  # first the other answer…
        assert not dialog.replacement.isEnabled()
        press(qtbot, dialog.change_values)  # …then "Change them to"
        assert dialog.replacement.isEnabled()
        choose_in_combo(qtbot, dialog.replacement, "supports")
        press_ok(qtbot, dialog)

    asked = edit_stance_values(qtbot, window, ["supports", "mixed"], change_to_supports)
    assert len(asked) == 1
    assert stored_stances(project, stances) == dict.fromkeys(stances, "supports")
    [(schema,)] = read(project, "SELECT schema FROM label WHERE name = 'Claim'")
    stance = next(a for a in json.loads(schema)["attributes"] if a["name"] == "stance")
    assert stance["values"] == ["supports", "mixed"]


def test_values_taken_away_are_cleared_when_asked(qtbot, project, stances, open_window):
    window = open_window(project, annotator="me")

    def clear(dialog: RecodeDialog) -> None:
        assert dialog.change_values.isChecked()  # changing them is offered first
        press(qtbot, dialog.clear_values)
        press_ok(qtbot, dialog)

    asked = edit_stance_values(qtbot, window, ["supports", "opposes", "mixed"], clear)
    assert len(asked) == 1
    assert stored_stances(project, stances) == {
        uuid: None if stance == "neutral" else stance for uuid, stance in stances.items()
    }


# --- the gold layer: export and training ---------------------------------------------------------


@pytest.fixture
def gold(project) -> set[tuple[str, str, int, int]]:
    """Three adjudicated spans in two articles: (file, label, start, end)."""
    chosen = {
        (OPEN, "Actor", "CENTCOM"),
        (OPEN, "Actor", "Kataib Hezbollah"),
        ("001_4932432c3956f33a.txt", "Actor", "Baghdad"),
    }
    put = set()
    ids = document_ids(project)
    with Store.open(project) as store:
        layer = store.gold_annotator()
        labels = {label.name: label.id for label in store.labels()}
        for name, label, words in chosen:
            start = TEXTS[name].index(words)
            store.add_span(ids[name], labels[label], layer.id, start, start + len(words))
            put.add((name, label, start, start + len(words)))
    return put


def test_export_of_the_gold_layer_holds_only_the_gold_spans(
    qtbot, project, gold, open_window, tmp_path
):
    window = open_window(project, annotator="me")
    qtbot.keyClick(window.view, Qt.Key.Key_E, CTRL)  # File → Export…
    dialog = modal(ExportDialog)
    text = next(
        dialog.format.itemText(i)
        for i in range(dialog.format.count())
        if dialog.format.itemText(i).startswith("jsonl — ")
    )
    choose_in_combo(qtbot, dialog.format, text)
    out = tmp_path / "gold.jsonl"
    type_into(qtbot, dialog.output, str(out))
    tick(qtbot, dialog.annotators, {"analyst_a"})  # the gold layer overrides the people
    press(qtbot, dialog.gold)
    assert dialog.gold.isChecked() and not dialog.annotators.isEnabled()
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))  # "Export"
    assert not dialog.isVisible()
    finish(qtbot, window.export_job)
    exported = set()
    for line in out.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for span in item.get("spans", []):
            assert span["annotator"] == "gold"
            exported.add((item["meta"]["file"], span["label"], span["start"], span["end"]))
    assert exported == gold
    assert f"{len(gold)} span(s)" in window.statusBar().currentMessage()


def test_training_on_the_gold_layer_learns_from_the_gold_spans_only(
    qtbot, project, gold, open_window, tmp_path
):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_T, CTRL | SHIFT)  # Suggest → Train a model…
    dialog = modal(TrainDialog)
    model = tmp_path / "gold-model"
    type_into(qtbot, dialog.output, str(model))
    type_into(qtbot, dialog.epochs, "1")
    type_into(qtbot, dialog.held_out, "0")
    press(qtbot, dialog.gold)
    assert dialog.gold.isChecked()
    press(qtbot, button_named(dialog, "Train"))
    assert not dialog.isVisible()
    finish(qtbot, window.suggestions.last_job, timeout=240000)
    report = window.suggestions.last_report
    ids = document_ids(project)
    assert report is not None, window.last_error
    assert report.train_spans == len(gold) and report.held_out_spans == 0
    assert set(report.train_documents) == {ids[name] for name, *_ in gold}
    assert report.labels == ("Actor",)
    report_dialog = window.suggestions.report_dialog
    assert report_dialog.isVisible()
    shown = report_dialog.findChild(QTextBrowser).toPlainText()
    assert f"Trained on 2 document(s) ({len(gold)} spans)" in shown
    press(qtbot, button_named(report_dialog, "Close"))
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    assert meta["dossier"]["annotators"] == ["gold"] and meta["dossier"]["train_documents"] == 2


def test_cancel_in_the_train_dialog_trains_nothing(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_T, CTRL | SHIFT)
    dialog = modal(TrainDialog)
    model = tmp_path / "never-model"
    type_into(qtbot, dialog.output, str(model))
    type_into(qtbot, dialog.epochs, "1")
    press(qtbot, button_of(dialog, CANCEL))
    assert not dialog.isVisible()
    QApplication.processEvents()
    assert window.suggestions.last_job is None and not workers._running
    assert not model.exists() and window.suggestions.last_report is None


# --- suggesting with a model folder --------------------------------------------------------------


@pytest.fixture
def ruler_model(tmp_path):
    """A spaCy pipeline folder that finds CENTCOM (an ORG) and Baghdad (a GPE): the default
    mapping makes both Actors."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [{"label": "ORG", "pattern": "CENTCOM"}, {"label": "GPE", "pattern": "Baghdad"}]
    )
    folder = tmp_path / "ruler-model"
    nlp.to_disk(folder)
    return folder


def occurrences(project, names=None) -> set[tuple[int, str, int, int]]:
    """Where CENTCOM and Baghdad stand as words: (document id, label, start, end)."""
    ids = document_ids(project)
    found = set()
    for name, text in TEXTS.items():
        if names is not None and name not in names:
            continue
        for match in re.finditer(r"\b(?:CENTCOM|Baghdad)\b", text):
            found.add((ids[name], "Actor", match.start(), match.end()))
    return found


def suggested(project) -> set[tuple[int, str, int, int]]:
    rows = spans_of(project, "me", status="suggested")
    assert {row[5] for row in rows} <= {"model"}
    return {row[:4] for row in rows}


def open_suggest_dialog(qtbot, window) -> SuggestDialog:
    """Suggest → Suggest with a model or pipeline…"""
    choose_menu_item(qtbot, window, "Suggest", "Suggest with a model or pipeline…")
    return modal(SuggestDialog)


def choose_folder(qtbot, dialog: SuggestDialog, folder) -> None:
    """Press the pipeline choice, then the model folder one, and Browse… to the folder."""
    press(qtbot, dialog.pipeline)
    assert not dialog.model.isChecked()
    press(qtbot, dialog.model)
    assert dialog.model.isChecked()
    answered = answer_file_dialog(qtbot, folder)
    press(qtbot, button_named(dialog, "Browse…"))
    assert answered == ["A trained model"]
    assert dialog.folder.text() == str(folder)


def test_a_model_folder_browsed_to_suggests_in_the_open_document(
    qtbot, project, ruler_model, open_window
):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    dialog = open_suggest_dialog(qtbot, window)
    choose_folder(qtbot, dialog, ruler_model)
    press(qtbot, button_named(dialog, "Suggest"))
    assert not dialog.isVisible()
    finish(qtbot, window.suggestions.last_job)
    expected = occurrences(project, {OPEN})
    assert len(expected) == 2 and suggested(project) == expected  # CENTCOM, twice
    drawn = {(s.record.start, s.record.end) for s in window.view.spans() if s.style == "suggested"}
    assert drawn == {(start, end) for _, _, start, end in expected}
    assert str(ruler_model) in window.statusBar().currentMessage()


def test_in_every_document_suggests_beyond_the_open_one(qtbot, project, ruler_model, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    dialog = open_suggest_dialog(qtbot, window)
    choose_folder(qtbot, dialog, ruler_model)
    press(qtbot, dialog.everywhere)
    assert dialog.everywhere.isChecked()
    press(qtbot, button_named(dialog, "Suggest"))
    finish(qtbot, window.suggestions.last_job)
    expected = occurrences(project)
    assert len({document for document, *_ in expected}) == 5
    assert suggested(project) == expected
    assert "in 5 document(s)" in window.statusBar().currentMessage()


def test_cancel_in_the_suggest_dialog_suggests_nothing(qtbot, project, ruler_model, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    dialog = open_suggest_dialog(qtbot, window)
    type_into(qtbot, dialog.folder, str(ruler_model))
    press(qtbot, dialog.everywhere)
    press(qtbot, button_of(dialog, CANCEL))
    assert not dialog.isVisible()
    QApplication.processEvents()
    assert window.suggestions.last_job is None and not workers._running
    assert spans_of(project, "me") == []
    assert not [s for s in window.view.spans() if s.style == "suggested"]


# --- the window: the document's status box and the span table's F2 ------------------------------


def test_the_status_box_sets_ones_progress_on_the_document(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    document = document_ids(project)[OPEN]

    def stored() -> str | None:
        rows = read(
            project,
            "SELECT st.status FROM document_state st JOIN annotator a "
            "ON a.id = st.annotator_id WHERE a.name = 'me' AND st.document_id = ?",
            document,
        )
        return rows[0][0] if rows else None

    def listed() -> str:
        documents = window.documents
        row = documents.proxy.mapFromSource(
            documents.model.index(documents.model.row_of(document), 0)
        ).row()
        return documents.proxy.index(row, 4).data()

    assert stored() in (None, "not_started") and listed() == "not started"
    choose_in_combo(qtbot, window.header.status, "done")
    assert stored() == "done" and listed() == "done"
    choose_in_combo(qtbot, window.header.status, "in progress")
    assert stored() == "in_progress" and listed() == "in progress"


def test_f2_on_a_cell_of_the_span_table_edits_the_note_and_the_label(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Kataib Hezbollah")
    drag(view, start, start + len("Kataib Hezbollah"))
    qtbot.keyClick(view, Qt.Key.Key_E)  # Event
    document = document_ids(project)[OPEN]
    assert [row[:4] for row in spans_of(project, "me")] == [(document, "Event", start, start + 16)]
    model, table = window.spans.model, window.spans.table
    row = next(r for r in range(model.rowCount()) if model.span(r).annotator == "me")

    click_row(qtbot, table, row, 4)  # the note
    qtbot.keyClick(table, Qt.Key.Key_F2)
    note = QApplication.focusWidget()
    assert note is not None and note.parent() is table.viewport()
    qtbot.keyClicks(note, "the militia, not an event")
    qtbot.keyClick(note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)
    assert spans_of(project, "me")[0][6] == "the militia, not an event"

    click_row(qtbot, table, row, 0)  # the label
    qtbot.keyClick(table, Qt.Key.Key_F2)
    label = QApplication.focusWidget()
    assert label is not None and label.parent() is table.viewport()
    choose_in_combo(qtbot, label, "Actor")
    qtbot.keyClick(label, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)
    [span] = spans_of(project, "me")
    assert span[1] == "Actor" and span[6] == "the militia, not an event"
    assert model.data(model.index(row, 0)) == "Actor"


def test_cancelling_an_import_into_a_project_leaves_its_database_as_it_was(
    qtbot, project, open_window, tmp_path
):
    window = open_window(project, annotator="me")
    folder = tmp_path / "copies"
    folder.mkdir()
    for number in range(1200):  # enough that the import is still reading when Cancel is pressed
        for name, text in TEXTS.items():
            (folder / f"{number:04}_{name}").write_text(f"Copy {number}\n\n{text}", "utf-8")
    tables = ("document", "annotation", "label", "annotator", "document_state", "relation")

    def contents() -> dict[str, list[tuple]]:
        return {table: sorted(read(project, f"SELECT * FROM {table}")) for table in tables}

    before = contents()
    assert len(before["document"]) == len(FILES)
    answered = answer_file_dialog(qtbot, folder)
    qtbot.keyClick(window, Qt.Key.Key_I, CTRL | SHIFT)  # File → Import folder…
    assert answered == ["Import a folder of articles"]
    progress = window.findChild(QProgressDialog)
    qtbot.waitUntil(progress.isVisible, timeout=10000)
    assert window.import_job.is_running
    press(qtbot, button_named(progress, "Cancel"))
    finish(qtbot, window.import_job)
    assert "Import cancelled; nothing was written" in window.statusBar().currentMessage()
    assert contents() == before
    assert window.documents.model.rowCount() == len(FILES)
