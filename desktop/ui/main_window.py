"""The main window: the document list, the document view, the label palette and the span
panel, with the menus. It wires widgets to the session; the work happens there and in the
store."""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import resources
from db.records import DocumentRecord
from db.store import Store, StoreError
from desktop.commands import Change
from desktop.settings import Settings
from desktop.ui.actor_links import install_actor_links
from desktop.ui.actors_dock import install_actors
from desktop.ui.agreement_view import install_agreement
from desktop.ui.corpus_docks import install_corpus_views
from desktop.ui.document_list import STATUS_TEXT, DocumentListWidget
from desktop.ui.document_view import DocumentView
from desktop.ui.failure_bar import Failure, FailureBar
from desktop.ui.find_bar import install_find_bar
from desktop.ui.label_palette import LabelPaletteWidget
from desktop.ui.layers import install_layers
from desktop.ui.live import install_live_updates
from desktop.ui.records import install_records
from desktop.ui.review_mode import install_review
from desktop.ui.session import Session
from desktop.ui.span_panel import SpanPanelWidget
from desktop.ui.suggestions import install_suggestions
from desktop.ui.welcome import WelcomeWidget
from desktop.ui.workers import run_with_progress

DOCUMENT_STATUSES = ("not_started", "in_progress", "done")
DEFAULT_SIZE = (1360, 860)  # on first start, unless the screen is smaller
SCREEN_SHARE = 0.9  # on first start, the most of the screen's width and height taken


class DocumentHeader(QWidget):
    """The open document's title, source and date, and one's progress on it."""

    statusChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.details = QLabel(self)
        self.details.setStyleSheet("color: palette(mid);")
        self.status = QComboBox(self)
        for status in DOCUMENT_STATUSES:
            self.status.addItem(STATUS_TEXT[status], status)
        self.status.setToolTip("Your progress on this document (Ctrl+D: done)")
        self.status.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.details)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 2)
        row.addLayout(text, 1)
        row.addWidget(self.status)
        self.status.activated.connect(
            lambda index: self.statusChosen.emit(self.status.itemData(index))
        )

    def show_document(self, document: DocumentRecord | None, status: str) -> None:
        if document is None:
            self.title.setText("")
            self.details.setText("")
            return
        self.title.setText(
            f"<b style='font-size: 13pt'>{_escape(document.title or '(untitled)')}</b>"
        )
        parts = [
            p
            for p in (
                document.source,
                (document.published or "")[:10],
                f"{len(document.text):,} characters",
            )
            if p
        ]
        self.details.setText(" · ".join(_escape(p) for p in parts))
        self.show_status(status)

    def show_status(self, status: str) -> None:
        self.status.setCurrentIndex(DOCUMENT_STATUSES.index(status))


class MainWindow(QMainWindow):
    #: the analyst asked for another project (a path or database URL)
    projectRequested = Signal(str)

    def __init__(self, store: Store, settings: Settings, location: str):
        super().__init__()
        self.store = store
        self.settings = settings
        self.location = location
        self.last_error = ""
        self._fitted = False  # fitted to the screen once shown, frame included
        self.label_editor = None  # Edit → Labels…, made when first asked for
        self.setWindowTitle(
            f"Dossier — {Path(location).name if '://' not in location else location}"
        )
        self.setAcceptDrops(True)
        self.resize(*DEFAULT_SIZE)  # made to fit the screen in _restore_layout

        self.view = DocumentView(self)
        self.view.setAcceptDrops(False)
        self.view.set_text_font(settings.font_family, settings.font_size)
        self.session = Session(store, settings, self.view, self)
        self.header = DocumentHeader(self)
        self.welcome = WelcomeWidget(self)
        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(0)
        page_layout.addWidget(self.header)
        page_layout.addWidget(self.view, 1)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(page)
        self.failure_bar = FailureBar(self)
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.failure_bar)
        central_layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.documents = DocumentListWidget(self)
        self.palette = LabelPaletteWidget(self)
        self.spans = SpanPanelWidget(self)
        self.spans.model.set_editable(self.session.editable)
        self.documents_dock = self._dock(
            "Documents", self.documents, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.labels_dock = self._dock("Labels", self.palette, Qt.DockWidgetArea.RightDockWidgetArea)
        self.spans_dock = self._dock("Spans", self.spans, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.documents_dock], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.labels_dock, self.spans_dock], [420, 420], Qt.Orientation.Horizontal)

        self.annotator_label = QLabel(self)
        self.selection_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.selection_label)
        self.statusBar().addPermanentWidget(self.annotator_label)

        self._create_actions()
        self._create_menus()
        self._connect()
        self._install_features()
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(50)
        self._count_timer.timeout.connect(self._refresh_label_counts)
        # An edit across the corpus (search hits tagged, or that undone) changes the span
        # counts of documents not open: the list counts them again, once for the whole edit.
        self._elsewhere_timer = QTimer(self)
        self._elsewhere_timer.setSingleShot(True)
        self._elsewhere_timer.setInterval(50)
        self._elsewhere_timer.timeout.connect(self.refresh_span_counts)

        self.palette.set_labels(self.session.labels)
        self.spans.model.set_labels(self.session.labels)
        self._show_annotator()
        self.refresh_documents()
        self._restore_layout()
        self._open_first_document()

    @property
    def actors(self):
        """The Actors panel (desktop.ui.actors_panel.ActorsPanel), built when first shown or
        asked for."""
        return self.actors_dock.panel

    # --- building ----------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}-dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(key) for key in keys])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        standard = QKeySequence.StandardKey
        self.new_action = self._action("&New project…", self.new_project, standard.New)
        self.open_action = self._action("&Open project…", self.open_project, standard.Open)
        self.open_url_action = self._action("Open database &URL…", self.open_database_url)
        self.import_action = self._action(
            "&Import files…",
            self.import_files,
            "Ctrl+I",
            "Text, Markdown, JSONL, brat, Label Studio, UIMA XMI",
        )
        self.import_folder_action = self._action(
            "Import &folder…", self.import_folder, "Ctrl+Shift+I"
        )
        self.export_action = self._action("&Export…", self.export, "Ctrl+E")
        self.quit_action = self._action("&Quit", self.close, standard.Quit)
        self.undo_action = self.session.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(standard.Undo)])
        self.redo_action = self.session.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addActions([self.undo_action, self.redo_action])
        self.labels_action = self._action("&Labels…", self.edit_labels, "Ctrl+L")
        self.preferences_action = self._action(
            "&Preferences…", self.edit_preferences, ["Ctrl+,", standard.Preferences]
        )
        self.done_action = self._action(
            "Mark &done", lambda: self.session.set_status("done"), "Ctrl+D"
        )
        self.progress_action = self._action(
            "Mark &in progress", lambda: self.session.set_status("in_progress"), "Ctrl+Shift+D"
        )
        self.next_action = self._action(
            "&Next unfinished document", lambda: self.go_unfinished(False), "Ctrl+PgDown"
        )
        self.previous_action = self._action(
            "&Previous unfinished document", lambda: self.go_unfinished(True), "Ctrl+PgUp"
        )
        self.find_action = self._action(
            "&Go to document", self.focus_filter, "Ctrl+P", "Type to filter the document list"
        )
        self.accept_all_action = self._action(
            "&Accept all suggestions",
            self.session.accept_all,
            ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
        )
        self.reject_all_action = self._action(
            "&Reject all suggestions", self.session.reject_all, "Ctrl+Shift+Backspace"
        )
        self.zoom_in_action = self._action("Larger text", lambda: self.zoom(1), standard.ZoomIn)
        self.zoom_out_action = self._action("Smaller text", lambda: self.zoom(-1), standard.ZoomOut)
        self.shortcuts_action = self._action(
            "&Keyboard shortcuts", self.show_shortcuts, standard.HelpContents
        )
        self.about_action = self._action("&About Dossier", self.show_about)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action, self.open_url_action])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.import_action, self.import_folder_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addActions([self.labels_action, self.preferences_action])
        document = bar.addMenu("&Document")
        document.addActions([self.done_action, self.progress_action])
        document.addSeparator()
        document.addActions([self.next_action, self.previous_action, self.find_action])
        document.addSeparator()
        document.addActions([self.accept_all_action, self.reject_all_action])
        self.document_menu = document
        view = bar.addMenu("&View")
        for dock in (self.documents_dock, self.labels_dock, self.spans_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addActions([self.zoom_in_action, self.zoom_out_action])
        self.view_menu = view
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])

    def _install_features(self) -> None:
        """Features that add their own menus, docks and keys to the window."""
        # --- features: each installs itself here (one line each) -----------------------------
        self.suggestions = install_suggestions(self)
        self.layer_chooser = install_layers(self)
        self.review = install_review(self)
        self.agreement = install_agreement(self)
        self.records = install_records(self)
        self.actors_dock = install_actors(self)
        self.actor_links = install_actor_links(self)
        self.corpus_docks = install_corpus_views(self)
        self.find = install_find_bar(self)
        self.live = install_live_updates(self)

    def _connect(self) -> None:
        session = self.session
        self.documents.documentChosen.connect(self.open_document)
        self.documents.model.readFailed.connect(self._on_documents_read_failed)
        self.view.labelKeyPressed.connect(session.tag_selection)
        self.view.deleteRequested.connect(session.delete_selected)
        self.view.acceptRequested.connect(session.accept_current)
        self.view.rejectRequested.connect(session.reject_current)
        self.view.spanSelected.connect(self.spans.select_span)
        self.view.selectionChangedTo.connect(self._on_view_selection_changed)
        self.palette.labelChosen.connect(self._on_palette_label_chosen)
        self.spans.spanChosen.connect(self._on_span_chosen)
        self.spans.table.deleteRequested.connect(session.delete)
        self.spans.model.editRequested.connect(self._on_span_edit_requested)
        self.header.statusChosen.connect(session.set_status)
        self.welcome.importRequested.connect(self.import_files)
        self.welcome.samplesRequested.connect(self.open_samples)
        session.documentOpened.connect(self._on_document_opened)
        session.changed.connect(self._on_session_changed)
        session.spansLoaded.connect(self._on_spans_loaded)
        session.labelsChanged.connect(self._on_labels_changed)
        session.layersChanged.connect(self._show_annotator)
        session.layersChanged.connect(self.refresh_span_counts)
        session.message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        session.failed.connect(self._on_failed)
        session.failure.connect(self.show_failure)
        self.failure_bar.retryRequested.connect(self._on_failure_bar_retry_requested)
        self.failure_bar.dismissed.connect(self._on_failure_bar_dismissed)

    # --- documents ---------------------------------------------------------------------------

    def refresh_documents(self) -> bool:
        """List the documents: one's progress, and the spans of the layers shown."""
        try:
            self.documents.show_documents(self.store, self.session.annotator.id, self._layer_ids())
            listed = self.documents.model.rowCount() > 0
            any_documents = listed or self.store.document_count() > 0
        except StoreError as exc:
            self.session.report_read_failure(
                exc, "The list of documents may be out of date.", self.refresh_documents
            )
            return False
        self.pages.setCurrentIndex(1 if any_documents else 0)
        self.document_menu.setEnabled(any_documents)
        if self.session.document is not None:
            self.documents.select_document(self.session.document.id)
        return True

    def refresh_span_counts(self) -> bool:
        """Count again the accepted spans of the layers shown, in every document."""
        try:
            self.documents.model.set_layers(self._layer_ids())
        except StoreError as exc:
            self.session.report_read_failure(
                exc, "The span counts may be out of date.", self.refresh_span_counts
            )
            return False
        return True

    def _layer_ids(self) -> list[int]:
        """The annotators whose layers are shown: the list counts their accepted spans."""
        return [layer.annotator.id for layer in self.session.layers]

    def _on_documents_read_failed(self, exc: StoreError) -> None:
        self.session.report_read_failure(
            exc, "The list of documents may be out of date.", self.refresh_documents
        )

    def _open_first_document(self) -> None:
        last = self.settings.last_document.get(self.store.url)
        model = self.documents.model
        if last is not None and model.summary(last) is not None:
            self.open_document(last)
        elif model.rowCount() > 0:
            # The list is in the order of import here: its first row is the first document.
            self.open_document(model.document_at(0))

    def open_document(self, document_id: int) -> None:
        if self.session.document is not None and self.session.document.id == document_id:
            return
        if not self.session.open_document(document_id) and self.session.document is not None:
            self.documents.select_document(self.session.document.id)  # the one still shown

    def go_unfinished(self, backwards: bool) -> None:
        current = self.session.document.id if self.session.document else None
        target = self.documents.neighbour(current, backwards=backwards)
        if target is None:
            self.statusBar().showMessage("No unfinished document in that direction", 3000)
            return
        self.open_document(target)
        self.view.setFocus()

    def focus_filter(self) -> None:
        self.documents_dock.show()
        self.documents.filter.setFocus()
        self.documents.filter.selectAll()

    # --- import and export -------------------------------------------------------------------

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import articles or annotations",
            str(Path.home()),
            "Articles and annotations (*.txt *.md *.markdown *.jsonl *.ndjson *.json *.ann *.xmi);;All files (*)",
        )
        if paths:
            self.import_paths(paths)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Import a folder of articles", str(Path.home())
        )
        if folder:
            self.import_paths([folder])

    def open_samples(self) -> None:
        self.import_paths([str(resources.path("samples"))], samples=True)

    def import_paths(self, paths: list[str], *, samples: bool = False) -> bool:
        """Import in the background; on any bad file or line nothing is written. Returns
        whether the import started."""
        from desktop.formats import ImportOptions, import_paths

        store = self.store
        try:
            was_empty = self.store.document_count() == 0
        except StoreError as exc:
            self.session.report_read_failure(
                exc, "Nothing was imported.", lambda: self.import_paths(paths, samples=samples)
            )
            return False
        job = run_with_progress(
            self,
            "Importing",
            lambda progress: import_paths(store, paths, ImportOptions(), progress),
        )

        def succeeded(report) -> None:
            summary = report.summary
            self.refresh_documents()
            if summary.document_ids and (was_empty or self.session.document is None):
                self.open_document(summary.document_ids[0])
            text = (
                f"Imported {summary.documents_added} new document(s) ({summary.documents_matched} already here), "
                f"{summary.spans_added} span(s)"
            )
            for reason, count in sorted(report.skipped.items()):
                text += f"; skipped {count} {reason}"
            self.statusBar().showMessage(text, 8000)
            if samples:
                self.statusBar().showMessage(
                    "Sample articles opened: select a few words and press C to tag your first claim.",
                    15000,
                )
            self.view.setFocus()

        job.succeeded.connect(succeeded)
        job.failed.connect(lambda reason: self.report(f"Nothing was imported. {reason}"))
        job.cancelled.connect(
            lambda: self.statusBar().showMessage("Import cancelled; nothing was written", 6000)
        )
        self.import_job = job
        return True

    def export(self) -> None:
        from desktop.ui.export_dialog import ExportDialog

        try:
            annotators = self.store.annotators()
        except StoreError as exc:
            self.session.report_read_failure(exc, "Nothing was exported.", None)
            return
        dialog = ExportDialog(self.session.labels, annotators, Path.home(), self)
        dialog.accepted.connect(
            lambda: self.start_export(dialog.format_name(), dialog.output_path(), dialog.options())
        )
        self.export_dialog = dialog
        dialog.open()

    def start_export(self, name: str, out: Path, options) -> None:
        """Export in the background; the file appears only once it is complete."""
        from desktop.formats import export_project

        store = self.store
        job = run_with_progress(
            self, "Exporting", lambda progress: export_project(store, name, out, options, progress)
        )
        job.succeeded.connect(self._on_export_succeeded)
        job.failed.connect(lambda reason: self.report(f"Export failed: {reason}"))
        job.cancelled.connect(
            lambda: self.statusBar().showMessage("Export cancelled; nothing was written", 6000)
        )
        self.export_job = job

    def _on_export_succeeded(self, report) -> None:
        """Say what was written and, in a box that does not block work, what the format had
        to change or leave out: an analyst must not find that out from the dataset."""
        lines = export_summary(report)
        self.statusBar().showMessage("; ".join(lines), 15000)
        if len(lines) == 1:
            return
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Export",
            lines[0],
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setInformativeText(
            "The format cannot carry everything as it is in Dossier:\n"
            + "\n".join(f"• {line}" for line in lines[1:])
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_box = box
        box.show()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # --- projects ----------------------------------------------------------------------------

    def new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New project", str(Path.home() / "project.db"), "Dossier projects (*.db)"
        )
        if path:
            if Path(path).exists():
                QMessageBox.warning(
                    self, "New project", f"{path} exists already: use Open project."
                )
                return
            self.projectRequested.emit(path)

    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", str(Path.home()), "Dossier projects (*.db);;All files (*)"
        )
        if path:
            self.projectRequested.emit(path)

    def open_database_url(self) -> None:
        url, ok = QInputDialog.getText(
            self, "Open database", "Database URL (e.g. postgresql://analyst@server/dossier):"
        )
        if ok and url.strip():
            self.projectRequested.emit(url.strip())

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for location in self.settings.recent_projects:
            action = self.recent_menu.addAction(location)
            action.triggered.connect(
                lambda _checked=False, where=location: self.projectRequested.emit(where)
            )
        if not self.settings.recent_projects:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    # --- dialogs -----------------------------------------------------------------------------

    def edit_labels(self) -> None:
        from desktop.ui.label_editor import LabelEditorDialog

        if self.label_editor is None:  # made once: it follows the labels as they change
            self.label_editor = LabelEditorDialog(self.session, self)
        self.label_editor.open()

    def edit_preferences(self) -> None:
        from desktop.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self, member=self.session.member)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog))
        self.preferences_dialog = dialog
        dialog.open()

    def apply_preferences(self, dialog) -> None:
        """Take what the preferences dialog says: annotator, font, snapping."""
        before = self.settings.annotator
        dialog.apply_to(self.settings)
        chosen, self.settings.annotator = self.settings.annotator, before
        self.settings.save()
        self.view.set_text_font(self.settings.font_family, self.settings.font_size)
        self.view.snap_to_tokens = self.settings.snap_to_tokens
        if chosen != before:
            self.change_annotator(chosen)

    def change_annotator(self, name: str) -> bool:
        """Annotate as ``name``: in the database first, then in the settings and the list
        (a database that cannot be written leaves one annotating as before)."""
        if not self.session.set_annotator(name, lambda: self.change_annotator(name)):
            return False
        self.settings.annotator = name
        self.settings.save()
        self.refresh_documents()
        return True

    def zoom(self, step: int) -> None:
        self.settings.font_size = max(7, min(40, self.settings.font_size + step))
        self.view.set_text_font(self.settings.font_family, self.settings.font_size)

    def show_shortcuts(self) -> None:
        from desktop.ui.help import ShortcutsDialog

        ShortcutsDialog(self).exec()

    def show_about(self) -> None:
        from desktop.ui.help import show_about

        show_about(self)

    # --- slots -------------------------------------------------------------------------------

    def _on_document_opened(self, document: DocumentRecord | None) -> None:
        status = "not_started"
        if document is not None:
            try:
                status = self.store.document_status(document.id, self.session.annotator.id)
            except StoreError as exc:
                self.session.report_read_failure(exc, "Your progress shown may be wrong.", None)
            self.documents.select_document(document.id)
        self.header.show_document(document, status)
        self._on_spans_loaded()

    def _on_spans_loaded(self) -> None:
        self.spans.model.set_spans([span.record for span in self.view.spans()])
        self._count_timer.start()

    def _on_session_changed(self, change: Change) -> None:
        document = self.session.document
        # A corpus-wide edit (tagging search hits) also reports the documents not open.
        here = document is not None and change.document_id == document.id
        for record in change.added + change.updated if here else ():
            if self.session.shown(record):
                self.spans.model.put(record)
            else:
                self.spans.model.remove(record.uuid)
        for span_uuid in change.removed if here else ():
            self.spans.model.remove(span_uuid)
        if not here and (change.added or change.removed):
            self._elsewhere_timer.start()
        if change.status is not None:
            if here:
                self.header.show_status(change.status)
            self.documents.model.update_document(change.document_id, status=change.status)
        self._count_timer.start()

    def _refresh_label_counts(self) -> None:
        """The palette counts the spans new tags go to; the document list, every accepted
        span the layers show in the open document (once all of them are loaded)."""
        counts: dict[int, int] = {}
        shown = 0
        editing = self.session.editing.id
        for span in self.view.spans():
            record = span.record
            if record.status != "accepted":
                continue
            shown += 1
            if record.annotator_id == editing:
                counts[record.label_id] = counts.get(record.label_id, 0) + 1
        self.palette.set_counts(counts)
        document = self.session.document
        if document is not None and self.session.all_spans_shown:
            self.documents.model.set_span_counts({document.id: shown})

    def _on_labels_changed(self, labels) -> None:
        self.palette.set_labels(labels)
        self.spans.model.set_labels(labels)
        self._count_timer.start()

    def _on_palette_label_chosen(self, label_id: int) -> None:
        self.session.tag_selection(label_id)
        self.view.setFocus()

    def _on_span_chosen(self, span_uuid: str) -> None:
        self.view.clear_text_selection()
        self.view.select_span(span_uuid, reveal=True)

    def _on_span_edit_requested(self, span, field: str, value) -> None:
        if field == "label":
            self.session.relabel([span], value)
        else:
            self.session.set_note(span, value)

    def _on_view_selection_changed(self, start: int, end: int) -> None:
        if end > start:
            snap = (
                "exact"
                if self.view.selection_is_exact or not self.view.snap_to_tokens
                else "whole words"
            )
            self.selection_label.setText(f"{end - start} characters selected ({snap})")
        else:
            self.selection_label.setText("")

    def _on_failed(self, reason: str) -> None:
        self.show_failure(Failure(reason))

    def _on_failure_bar_retry_requested(self, failure: Failure) -> None:
        self.statusBar().showMessage("Trying again…")
        if self.session.retry(failure):
            if self.failure_bar.failure is failure:  # no new failure took its place
                self.failure_bar.dismiss()
            self.statusBar().showMessage("Tried again: done", 5000)

    def _on_failure_bar_dismissed(self, had_focus: bool) -> None:
        if had_focus or QApplication.focusWidget() is None:
            self.view.setFocus()  # the keyboard goes back to the text, not nowhere

    def show_failure(self, failure: Failure) -> None:
        """A failed write (or read, or an unexpected error): at once in the status bar and
        in the bar above the document, which stays until dismissed."""
        self.last_error = failure.text
        self.statusBar().showMessage(failure.text, 10000)
        self.failure_bar.show_failure(failure, self.session.answers)
        dialog = QApplication.activeModalWidget()
        if dialog is not None and dialog is not self and _belongs_to(dialog, self):
            # A dialog of the window (the label editor, say) hides the bar: say it there too.
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Dossier", failure.text, QMessageBox.StandardButton.Ok
            )
            box.setParent(dialog, box.windowFlags())
            box.setModal(False)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()

    def show_exception(self, exc: BaseException, log: Path | None) -> None:
        """An error nobody caught: said in the bar; the window goes on."""
        where = f" The details are in {log}." if log is not None else ""
        if isinstance(exc, StoreError):
            text = f"Something failed: {exc}.{where}"
        else:
            text = f"Something went wrong: {type(exc).__name__}: {exc}.{where}"
        self.show_failure(Failure(text))

    def report(self, reason: str) -> None:
        """A refusal or failure: said in the status bar and in a box that does not block work."""
        self.last_error = reason
        self.statusBar().showMessage(reason, 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Dossier", reason, QMessageBox.StandardButton.Ok, self
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _show_annotator(self) -> None:
        session = self.session
        if session.editing.is_gold:
            text = f"<b>{_escape(session.annotator.name)}</b> reviewing into <b>{_escape(session.editing.name)}</b>"
        else:
            text = f"Annotating as <b>{_escape(session.editing.name)}</b>"
        others = [
            layer.annotator.name
            for layer in session.layers
            if layer.annotator.id != session.editing.id
        ]
        if others:
            text += " · also showing " + ", ".join(_escape(name) for name in others)
        self.annotator_label.setText(text)

    # --- window state ------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        """The window as it was left, kept within its screen; on first start, a size that
        fits the screen (a laptop's 1280 × 720 as much as a large monitor), centred."""
        restored = bool(self.settings.window_geometry) and self.restoreGeometry(
            QByteArray(base64.b64decode(self.settings.window_geometry))
        )
        if restored:
            self.fit_to_screen()
        else:
            self.place_on_screen()
        if self.settings.window_state:
            self.restoreState(QByteArray(base64.b64decode(self.settings.window_state)))

    def place_on_screen(self) -> None:
        """The default size, made smaller where the screen is, and centred on it."""
        available = self._available_geometry()
        if available is None:
            return
        width = min(DEFAULT_SIZE[0], int(available.width() * SCREEN_SHARE))
        height = min(DEFAULT_SIZE[1], int(available.height() * SCREEN_SHARE))
        self.resize(width, height)
        frame = self._frame_margins()
        self.move(
            available.x() + (available.width() - width - frame.width()) // 2,
            available.y() + (available.height() - height - frame.height()) // 2,
        )

    def fit_to_screen(self) -> None:
        """Shrink and move the window so that the whole of it is on its screen (a geometry
        saved on a larger monitor would otherwise hang off a smaller one)."""
        if self.isMaximized() or self.isFullScreen():
            return
        available = self._available_geometry()
        if available is None:
            return
        frame = self._frame_margins()
        width = min(self.width(), available.width() - frame.width())
        height = min(self.height(), available.height() - frame.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        outer = self.frameGeometry()
        x = min(max(outer.x(), available.x()), available.right() + 1 - outer.width())
        y = min(max(outer.y(), available.y()), available.bottom() + 1 - outer.height())
        if (x, y) != (outer.x(), outer.y()):
            self.move(x, y)

    def _available_geometry(self):
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def _frame_margins(self) -> QSize:
        """The window frame's extra width and height (nothing until the window is shown)."""
        outer, inner = self.frameGeometry(), self.geometry()
        return QSize(outer.width() - inner.width(), outer.height() - inner.height())

    def save_layout(self) -> None:
        self.session.remember_position()
        self.settings.window_geometry = base64.b64encode(bytes(self.saveGeometry())).decode("ascii")
        self.settings.window_state = base64.b64encode(bytes(self.saveState())).decode("ascii")
        self.settings.save()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._fitted:
            # Only now is the frame known: take it into account once.
            self._fitted = True
            self.fit_to_screen()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.live.stop()
        self.save_layout()
        super().closeEvent(event)


def export_summary(report) -> list[str]:
    """What an export wrote, then each adjustment it made with its count, one per line."""
    lines = [f"Exported {report.documents} document(s) and {report.spans} span(s) to {report.path}"]
    lines += [f"{count} {reason}" for reason, count in sorted(report.adjusted.items()) if count]
    return lines


def _belongs_to(widget: QWidget, window: QWidget) -> bool:
    """Whether ``widget`` is ``window`` or one of its dialogs (at any depth)."""
    while widget is not None:
        if widget is window:
            return True
        widget = widget.parentWidget()
    return False


def _escape(text: str) -> str:
    import html

    return html.escape(text)
