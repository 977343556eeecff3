"""The window's other work, driven by keys, buttons and dialogs as a person does: preferences,
import and export, first run, projects, and the window's size on the screen."""

from __future__ import annotations

import base64
import json
import sqlite3

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QProgressDialog,
)

from db.records import ExportFilter
from db.store import Store
from desktop.formats import ExportOptions, export_project
from desktop.ui.export_dialog import ExportDialog
from desktop.ui.preferences import PreferencesDialog
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
    drag,
    message_boxes,
    press,
    press_ok,
    tick,
    type_into,
)


def wait_for(qtbot, job, timeout=30000):
    if job is not None and job in __import__("desktop.ui.workers", fromlist=["_running"])._running:
        with qtbot.waitSignal(job.ended, timeout=timeout):
            pass
    QApplication.processEvents()


def modal(kind):
    """The dialog the last key or click opened (and that waits for an answer)."""
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, kind) and dialog.isVisible(), dialog
    return dialog


# --- preferences ------------------------------------------------------------------------------


def open_preferences(qtbot, window) -> PreferencesDialog:
    qtbot.keyClick(window.view, Qt.Key.Key_Comma, CTRL)  # Edit → Preferences… (Ctrl+,)
    return modal(PreferencesDialog)


def test_preferences_ok_changes_the_annotator_font_and_snapping(
    qtbot, project, open_window, dossier_home
):
    window = open_window(project, annotator="me")
    dialog = open_preferences(qtbot, window)
    type_into(qtbot, dialog.annotator, "")
    press_ok(qtbot, dialog)  # no name: refused, the dialog stays
    assert dialog.isVisible() and window.session.annotator.name == "me"
    type_into(qtbot, dialog.annotator, "reviewer 2")
    type_into(qtbot, dialog.font_size, "17")
    press(qtbot, dialog.snap)
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert window.session.annotator.name == "reviewer 2"
    assert "reviewer 2" in window.annotator_label.text()
    assert window.view.font().pointSize() == 17
    assert window.view.snap_to_tokens is False
    saved = json.loads((dossier_home / "config" / "settings.json").read_text(encoding="utf-8"))
    assert (saved["annotator"], saved["font_size"], saved["snap_to_tokens"]) == (
        "reviewer 2",
        17,
        False,
    )
    assert [a.name for a in window.store.annotators() if a.name == "reviewer 2"]


def test_preferences_cancel_changes_nothing(qtbot, project, open_window, dossier_home):
    window = open_window(project, annotator="me")
    size = window.view.font().pointSize()
    dialog = open_preferences(qtbot, window)
    type_into(qtbot, dialog.annotator, "someone else")
    type_into(qtbot, dialog.font_size, "30")
    press(qtbot, dialog.snap)
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Cancel))
    assert not dialog.isVisible()
    assert window.session.annotator.name == "me"
    assert window.view.font().pointSize() == size and window.view.snap_to_tokens is True
    assert "someone else" not in [a.name for a in window.store.annotators()]


# --- import -----------------------------------------------------------------------------------


def test_importing_a_folder_runs_in_the_background(qtbot, tmp_path, open_window):
    location = str(tmp_path / "empty.db")
    window = open_window(location, annotator="me")
    assert window.pages.currentWidget() is window.welcome
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Militias resume attacks\n\nThe group said on Friday.", encoding="utf-8"
    )
    (folder / "b.md").write_text("# Talks in Arbon\n\nNegotiators met again.", encoding="utf-8")
    answered = answer_file_dialog(qtbot, folder)
    qtbot.keyClick(window, Qt.Key.Key_I, CTRL | SHIFT)  # File → Import folder…
    assert answered == ["Import a folder of articles"]
    wait_for(qtbot, window.import_job)
    assert window.pages.currentWidget() is not window.welcome
    assert window.documents.model.rowCount() == 2
    assert window.session.document is not None
    assert "Imported 2 new document(s)" in window.statusBar().currentMessage()
    with Store.open(location) as store:
        assert sorted(d.title for d in store.list_documents()) == [
            "Militias resume attacks",
            "Talks in Arbon",
        ]


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
    answered = answer_file_dialog(qtbot, good, bad)
    qtbot.keyClick(window, Qt.Key.Key_I, CTRL)  # File → Import files…
    assert answered
    wait_for(qtbot, window.import_job)
    assert f"{bad}:2: span 1: offsets 0-9 fall outside" in window.last_error
    assert any(f"{bad}:2" in box.text() for box in message_boxes(window))
    with Store.open(location) as store:
        assert store.document_count() == 0


def test_cancelling_an_import_writes_nothing(qtbot, tmp_path, open_window):
    location = str(tmp_path / "p.db")
    window = open_window(location, annotator="me")
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(3000):
        (folder / f"{number:04}.txt").write_text(
            f"Article {number}\n\nText of article {number}.", encoding="utf-8"
        )
    answered = answer_file_dialog(qtbot, folder)
    qtbot.keyClick(window, Qt.Key.Key_I, CTRL | SHIFT)
    assert answered
    progress = window.findChild(QProgressDialog)
    qtbot.waitUntil(progress.isVisible, timeout=10000)  # shown once the work takes a while
    press(qtbot, button_named(progress, "Cancel"))
    wait_for(qtbot, window.import_job)
    assert "cancelled" in window.statusBar().currentMessage()
    with Store.open(location) as store:
        assert store.document_count() == 0


def test_dropping_files_on_the_window_imports_them(qtbot, tmp_path, corpus, open_window):
    location = str(tmp_path / "p.db")
    window = open_window(location, annotator="me")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(corpus / "001_4932432c3956f33a.txt"))])
    where = QPoint(50, 50)
    enter = QDragEnterEvent(
        where,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(where),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)
    wait_for(qtbot, window.import_job)
    with Store.open(location) as store:
        assert store.document_count() == 1


# --- export -----------------------------------------------------------------------------------


def open_export(qtbot, window) -> ExportDialog:
    qtbot.keyClick(window.view, Qt.Key.Key_E, CTRL)  # File → Export… (Ctrl+E)
    return modal(ExportDialog)


def choose_format(qtbot, dialog: ExportDialog, name: str) -> None:
    text = next(
        dialog.format.itemText(i)
        for i in range(dialog.format.count())
        if dialog.format.itemText(i).startswith(f"{name} — ")
    )
    choose_in_combo(qtbot, dialog.format, text)
    assert dialog.format.currentText() == text


def test_exporting_from_the_window_with_the_dialogs_filters(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    dialog = open_export(qtbot, window)
    choose_format(qtbot, dialog, "jsonl")
    out = tmp_path / "out" / "analyst_a.jsonl"
    type_into(qtbot, dialog.output, str(out))
    tick(qtbot, dialog.annotators, {"analyst_a"})
    tick(qtbot, dialog.labels, {"Actor"})
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))  # "Export"
    assert not dialog.isVisible()
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
    assert f"{expected} span(s)" in window.statusBar().currentMessage()


def test_the_export_says_what_the_format_left_out(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    dialog = open_export(qtbot, window)
    choose_format(qtbot, dialog, "conll")
    out = tmp_path / "seed.conll"
    type_into(qtbot, dialog.output, str(out))
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))
    wait_for(qtbot, window.export_job)
    assert out.exists()
    with Store.open(project) as store:  # the same export, to learn what it must report
        expected = export_project(
            store,
            "conll",
            tmp_path / "again.conll",
            ExportOptions(filter=ExportFilter(statuses=("accepted",))),
        )
    assert expected.adjusted  # the seed project has overlapping spans
    message = window.statusBar().currentMessage()
    assert f"{expected.documents} document(s) and {expected.spans} span(s)" in message
    [box] = [box for box in message_boxes(window) if box.windowTitle() == "Export"]
    shown = box.text() + "\n" + box.informativeText()
    for reason, count in expected.adjusted.items():
        assert f"{count} {reason}" in message
        assert f"{count} {reason}" in shown
    press(qtbot, button_of(box, QDialogButtonBox.StandardButton.Ok))
    assert not message_boxes(window)


def test_cancelling_the_export_dialog_writes_nothing(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    dialog = open_export(qtbot, window)
    out = tmp_path / "never.jsonl"
    type_into(qtbot, dialog.output, str(out))
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Cancel))
    assert not dialog.isVisible()
    QApplication.processEvents()
    assert not out.exists() and not hasattr(window, "export_job")


def test_browse_chooses_where_the_export_goes(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    dialog = open_export(qtbot, window)
    choose_format(qtbot, dialog, "csv")
    out = tmp_path / "chosen.csv"
    answered = answer_file_dialog(qtbot, out)
    press(qtbot, button_named(dialog, "Browse…"))
    assert answered == ["Export to file"]
    assert dialog.output.text() == str(out)
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))
    wait_for(qtbot, window.export_job)
    assert out.exists() and out.read_text(encoding="utf-8").strip()


# --- first run --------------------------------------------------------------------------------


def test_a_newcomer_opens_the_samples_and_tags_a_first_claim(qtbot, tmp_path, open_window):
    location = str(tmp_path / "new.db")
    window = open_window(location, annotator="newcomer")
    assert window.pages.currentWidget() is window.welcome
    press(qtbot, window.welcome.samples_button)
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


def test_the_welcome_pages_import_button_asks_for_files(qtbot, tmp_path, corpus, open_window):
    location = str(tmp_path / "new.db")
    window = open_window(location, annotator="newcomer")
    article = corpus / "001_4932432c3956f33a.txt"
    answered = answer_file_dialog(qtbot, article)
    press(qtbot, window.welcome.import_button)
    assert answered == ["Import articles or annotations"]
    wait_for(qtbot, window.import_job)
    assert window.pages.currentWidget() is not window.welcome
    assert window.session.document.text == article.read_text(encoding="utf-8")


# --- projects ---------------------------------------------------------------------------------


def test_switching_projects_opens_the_other_one_and_remembers_it(
    qtbot, project, tmp_path, open_window
):
    from desktop.settings import Settings
    from desktop.ui.main_window import MainWindow

    window = open_window(project, annotator="me")
    other = tmp_path / "other.db"
    answered = answer_file_dialog(qtbot, other)
    qtbot.keyClick(window.view, Qt.Key.Key_N, CTRL)  # File → New project…
    assert answered == ["New project"]
    QApplication.processEvents()
    opened = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    assert [w.location for w in opened] == [str(other)]
    assert opened[0].pages.currentWidget() is opened[0].welcome
    assert Settings.load().recent_projects[:2] == [str(other), project]
    assert other.exists()
    opened[0].close()


def current_window():
    from desktop.ui.main_window import MainWindow

    [window] = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    return window


def test_open_recent_and_open_database_url_switch_projects(qtbot, project, tmp_path, open_window):
    window = open_window(project, annotator="me")
    other = tmp_path / "other.db"
    Store.open(other).close()

    def type_url(dialog: QInputDialog) -> None:
        qtbot.keyClicks(dialog.findChild(QLineEdit), f"sqlite:///{other}")
        press_ok(qtbot, dialog)

    answered = answer_dialog(qtbot, QInputDialog, type_url)
    choose_menu_item(qtbot, window, "File", "Open database URL…")
    assert answered == ["Open database"]
    QApplication.processEvents()
    switched = current_window()
    assert switched.location == f"sqlite:///{other}" and switched.store.document_count() == 0

    activate(qtbot, switched)
    choose_menu_item(qtbot, switched, "File", "Open recent", project)
    QApplication.processEvents()
    back = current_window()
    assert back.location == project and back.store.document_count() == 5


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
    answered = answer_file_dialog(qtbot, newer)
    qtbot.keyClick(window.view, Qt.Key.Key_O, CTRL)  # File → Open project…
    assert answered == ["Open project"]
    QApplication.processEvents()
    assert "newer version of Dossier" in window.last_error
    assert window.isVisible()


# --- the window on the screen -----------------------------------------------------------------


def inside(outer, inner) -> bool:
    return outer.contains(inner.topLeft()) and outer.contains(inner.bottomRight())


def test_on_first_start_the_window_fits_its_screen_and_is_centred(qtbot, project, open_window):
    window = open_window(project, annotator="me", size=None)
    available = QGuiApplication.primaryScreen().availableGeometry()
    frame = window.frameGeometry()
    assert inside(available, frame), (available, frame)
    assert window.width() <= 1360 and window.height() <= 860
    assert frame.width() <= available.width() * 0.9 + 8
    assert abs(frame.center().x() - available.center().x()) <= 8
    assert abs(frame.center().y() - available.center().y()) <= 8


def test_a_saved_geometry_larger_than_the_screen_is_fitted_to_it(
    qtbot, project, open_window, dossier_home
):
    from desktop.settings import Settings

    window = open_window(project, annotator="me", size=(2600, 1800))
    window.move(40, 30)
    window.close()  # remembers its geometry
    saved = Settings.load().window_geometry
    assert saved and base64.b64decode(saved)
    again = open_window(project, annotator="me", size=None)
    available = QGuiApplication.primaryScreen().availableGeometry()
    assert inside(available, again.frameGeometry()), (available, again.frameGeometry())
