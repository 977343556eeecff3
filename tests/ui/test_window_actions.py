"""The window's other work: labels, preferences, import and export, first run, projects."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from db.store import Store
from tests.ui.driving import drag


def wait_for(qtbot, job, timeout=30000):
    if job is not None and job in __import__("desktop.ui.workers", fromlist=["_running"])._running:
        with qtbot.waitSignal(job.ended, timeout=timeout):
            pass
    QApplication.processEvents()


def labels_in(location):
    with Store.open(location) as store:
        return [(label.name, label.colour, label.shortcut) for label in store.labels()]


def test_the_label_editor_changes_labels_and_undo_takes_it_back(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    window.edit_labels()
    editor = window.label_editor
    editor.add_label("Location")
    editor.select("Location")
    editor.set_key("L")
    editor.recolour_label("#123abc")
    editor.rename_label("Place")
    editor.move_label(-1)
    assert labels_in(project)[2] == ("Place", "#123ABC", "L")
    assert window.palette.button(window.session.label_by_name("Place").id) is not None
    window.undo_action.trigger()  # the move
    window.undo_action.trigger()  # the rename
    assert labels_in(project)[3] == ("Location", "#123ABC", "L")
    editor.select("Location")
    editor.set_key("A")  # taken by Actor: refused, said, nothing changes
    assert "already belongs" in window.last_error
    assert labels_in(project)[3][2] == "L"


def test_removing_a_label_in_use_moves_or_deletes_its_spans(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    window.edit_labels()
    editor = window.label_editor
    with Store.open(project) as store:
        events = len(store.spans_where(labels=["Event"]))
        claims = len(store.spans_where(labels=["Claim"]))
    editor.select("Event")
    editor.remove_label("move", window.session.label_by_name("Claim").id)
    with Store.open(project) as store:
        assert store.label_by_name("Event") is None
        assert len(store.spans_where(labels=["Claim"])) == claims + events
    window.undo_action.trigger()
    with Store.open(project) as store:
        assert len(store.spans_where(labels=["Event"])) == events
    editor.select("Event")
    editor.remove_label("delete")
    with Store.open(project) as store:
        assert store.label_by_name("Event") is None
        assert len(store.spans_where(labels=["Claim"])) == claims
    window.undo_action.trigger()
    with Store.open(project) as store:
        assert len(store.spans_where(labels=["Event"])) == events


def test_the_removal_dialog_offers_a_move_or_a_deletion(qtbot, project, open_window):
    from desktop.ui.label_editor import LabelRemovalDialog

    window = open_window(project, annotator="me")
    labels = window.session.labels
    dialog = LabelRemovalDialog(labels[2], 12, labels[:2])
    qtbot.addWidget(dialog)
    assert dialog.relabel_to() == labels[0].id
    dialog.target.setCurrentIndex(1)
    assert dialog.relabel_to() == labels[1].id
    dialog.delete.setChecked(True)
    assert dialog.relabel_to() is None


def test_preferences_change_the_annotator_font_and_snapping(
    qtbot, project, open_window, dossier_home
):
    window = open_window(project, annotator="me")
    window.edit_preferences()
    dialog = window.preferences_dialog
    dialog.annotator.setText("reviewer 2")
    dialog.font_size.setValue(17)
    dialog.snap.setChecked(False)
    dialog.accept()
    assert window.session.annotator.name == "reviewer 2"
    assert window.view.font().pointSize() == 17
    assert window.view.snap_to_tokens is False
    saved = json.loads((dossier_home / "config" / "settings.json").read_text(encoding="utf-8"))
    assert (saved["annotator"], saved["font_size"], saved["snap_to_tokens"]) == (
        "reviewer 2",
        17,
        False,
    )


def test_importing_from_the_window_runs_in_the_background(qtbot, tmp_path, open_window):
    location = str(tmp_path / "empty.db")
    window = open_window(location, annotator="me")
    assert window.pages.currentWidget() is window.welcome
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Militias resume attacks\n\nThe group said on Friday.", encoding="utf-8"
    )
    (folder / "b.md").write_text("# Talks in Arbon\n\nNegotiators met again.", encoding="utf-8")
    window.import_paths([str(folder)])
    wait_for(qtbot, window.import_job)
    assert window.pages.currentWidget() is not window.welcome
    assert window.documents.model.rowCount() == 2
    assert window.session.document is not None
    assert "Imported 2 new document(s)" in window.statusBar().currentMessage()


def test_a_bad_file_is_reported_with_its_line_and_nothing_is_written(qtbot, tmp_path, open_window):
    location = str(tmp_path / "p.db")
    window = open_window(location, annotator="me")
    good = tmp_path / "good.txt"
    good.write_text("A good article.", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "fine"}\n{"text": "x", "spans": [{"start": 0, "end": 9, "label": "A"}]}\n',
        encoding="utf-8",
    )
    window.import_paths([str(good), str(bad)])
    wait_for(qtbot, window.import_job)
    assert f"{bad}:2: span 1: offsets 0-9 fall outside" in window.last_error
    with Store.open(location) as store:
        assert store.document_count() == 0


def test_cancelling_an_import_writes_nothing(qtbot, tmp_path, open_window):
    location = str(tmp_path / "p.db")
    window = open_window(location, annotator="me")
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(400):
        (folder / f"{number:03}.txt").write_text(
            f"Article {number}\n\nText of article {number}.", encoding="utf-8"
        )
    window.import_paths([str(folder)])
    window.import_job.cancel()
    wait_for(qtbot, window.import_job)
    assert "cancelled" in window.statusBar().currentMessage()
    with Store.open(location) as store:
        assert store.document_count() == 0


def test_dropping_files_on_the_window_imports_them(qtbot, tmp_path, corpus, open_window):
    location = str(tmp_path / "p.db")
    window = open_window(location, annotator="me")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(corpus / "001_4932432c3956f33a.txt"))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    wait_for(qtbot, window.import_job)
    with Store.open(location) as store:
        assert store.document_count() == 1


def test_exporting_from_the_window_with_the_dialogs_filters(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    window.export()
    dialog = window.export_dialog
    dialog.format.setCurrentIndex(dialog.format.findData("jsonl"))
    out = tmp_path / "out" / "analyst_a.jsonl"
    dialog.output.setText(str(out))
    for row in range(dialog.annotators.count()):
        item = dialog.annotators.item(row)
        item.setCheckState(
            Qt.CheckState.Checked if item.text() == "analyst_a" else Qt.CheckState.Unchecked
        )
    for row in range(dialog.labels.count()):
        item = dialog.labels.item(row)
        item.setCheckState(
            Qt.CheckState.Checked if item.text() == "Actor" else Qt.CheckState.Unchecked
        )
    dialog.accept()
    wait_for(qtbot, window.export_job)
    spans = [
        s
        for line in out.read_text(encoding="utf-8").splitlines()
        for s in json.loads(line).get("spans", [])
    ]
    with Store.open(project) as store:
        expected = len(
            store.spans_where(
                labels=["Actor"], annotator_ids=[store.ensure_annotator("analyst_a").id]
            )
        )
    assert len(spans) == expected and {(s["annotator"], s["label"]) for s in spans} == {
        ("analyst_a", "Actor")
    }


def test_a_newcomer_opens_the_samples_and_tags_a_first_claim(qtbot, tmp_path, open_window):
    location = str(tmp_path / "new.db")
    window = open_window(location, annotator="newcomer")
    assert window.pages.currentWidget() is window.welcome
    window.welcome.samples_button.click()
    wait_for(qtbot, window.import_job)
    document = window.session.document
    assert document is not None and "Sample article written for Dossier" in document.text
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    quote = document.text.index("The fire is contained")
    drag(window.view, quote + 4, quote + 20)
    qtbot.keyClick(window.view, Qt.Key.Key_C)
    with Store.open(location) as store:
        [span] = store.spans(document.id)
        assert (span.label, span.annotator, span.text) == ("Claim", "newcomer", "fire is contained")


def test_switching_projects_opens_the_other_one_and_remembers_it(
    qtbot, project, tmp_path, open_window
):
    from desktop.settings import Settings
    from desktop.ui.main_window import MainWindow

    window = open_window(project, annotator="me")
    other = str(tmp_path / "other.db")
    window.projectRequested.emit(other)  # what File → New project does after asking where
    QApplication.processEvents()
    opened = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    assert [w.location for w in opened] == [other]
    assert opened[0].pages.currentWidget() is opened[0].welcome
    assert Settings.load().recent_projects[:2] == [other, project]
    assert Path(other).exists()
    opened[0].close()


def test_a_project_from_a_newer_dossier_is_refused_and_the_window_stays(
    qtbot, project, tmp_path, open_window
):
    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    connection = sqlite3.connect(newer)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff'")
    connection.commit()
    connection.close()
    window = open_window(project, annotator="me")
    window.projectRequested.emit(str(newer))
    QApplication.processEvents()
    assert "newer version of Dossier" in window.last_error
    assert window.isVisible()
