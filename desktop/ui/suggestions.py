"""Suggestions in the window: the rules, a trained model or an installed spaCy pipeline
propose spans in the background; training a model from the analysts' accepted spans; and
ordering the documents by the model's uncertainty. Suggestions are accepted with Enter and
rejected with Backspace in the document view (see ``Session``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.store import StoreError
from desktop.paths import data_dir
from desktop.ui import checklist
from desktop.ui.workers import Job, run_with_progress

RULES = "rules"


def models_dir() -> Path:
    """Where trained models go unless the analyst says otherwise."""
    return data_dir() / "models"


class SuggestDialog(QDialog):
    """Which suggester (a Dossier model folder or an installed pipeline), its label mapping,
    and on which documents."""

    def __init__(self, last_model: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Suggest with a model")
        self.model = QRadioButton("A model trained in Dossier (a folder)", self)
        self.pipeline = QRadioButton(
            "An installed spaCy pipeline (a name, e.g. en_core_web_sm)", self
        )
        group = QButtonGroup(self)
        group.addButton(self.model)
        group.addButton(self.pipeline)
        self.model.setChecked(True)
        self.folder = QLineEdit(last_model, self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("en_core_web_sm")
        self.mapping = QPlainTextEdit(self)
        self.mapping.setPlaceholderText(
            "One per line, e.g. PERSON=Actor (empty: the default mapping)"
        )
        self.mapping.setMaximumHeight(90)
        self.everywhere = QCheckBox("In every document (otherwise only the open one)", self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Suggest")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.model)
        form.addRow("Folder", row)
        form.addRow(self.pipeline)
        form.addRow("Name or path", self.name)
        form.addRow("Label mapping", self.mapping)
        form.addRow(self.everywhere)
        form.addRow(buttons)

    def source(self) -> str:
        return self.folder.text().strip() if self.model.isChecked() else self.name.text().strip()

    def labels(self) -> dict[str, str | None] | None:
        from desktop.nlp.pipelines import parse_label_map

        lines = [line.strip() for line in self.mapping.toPlainText().splitlines() if line.strip()]
        return parse_label_map(lines) if lines else None

    def _on_browse_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "A trained model", self.folder.text() or str(models_dir())
        )
        if chosen:
            self.folder.setText(chosen)


class TrainDialog(QDialog):
    """Whose accepted spans to learn from, how much to hold out for scoring, and where the
    model goes."""

    def __init__(self, annotators: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.annotators = QListWidget(self)
        checklist.fill(
            self.annotators, [(a.name, a.name, False) for a in annotators if not a.is_gold]
        )
        self.annotators.setMaximumHeight(110)
        self.gold = QCheckBox("Only the gold layer (adjudicated spans)", self)
        self.gold.setEnabled(any(a.is_gold for a in annotators))
        self.held_out = QDoubleSpinBox(self)
        self.held_out.setRange(0.0, 0.9)
        self.held_out.setSingleStep(0.05)
        self.held_out.setValue(0.2)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.epochs = QSpinBox(self)
        self.epochs.setRange(1, 500)
        self.epochs.setValue(20)
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        self.output = QLineEdit(str(models_dir() / f"spancat-{stamp}"), self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Learn from (none ticked: everyone)", self.annotators)
        form.addRow(self.gold)
        form.addRow("Held out for scoring", self.held_out)
        form.addRow("Seed", self.seed)
        form.addRow("Epochs", self.epochs)
        form.addRow("Save the model in", self.output)
        form.addRow(buttons)

    def options(self):
        from desktop.nlp.train import TrainOptions

        chosen = tuple(checklist.ticked(self.annotators))
        return TrainOptions(
            annotators=() if self.gold.isChecked() else chosen,
            gold=self.gold.isChecked(),
            held_out=self.held_out.value(),
            seed=self.seed.value(),
            epochs=self.epochs.value(),
        )


def report_html(report) -> str:
    """A trained model's held-out precision, recall and F1 per label, as a table."""
    rows = list(report.scores.values()) + ([report.overall] if report.overall else [])

    def cell(value: float) -> str:
        return f"{value:.2f}"

    lines = [
        f"<p>Trained on {len(report.train_documents)} document(s) ({report.train_spans} spans), "
        f"scored on {len(report.held_out_documents)} held-out document(s) ({report.held_out_spans} spans) "
        f"in {report.seconds:.0f} s.<br>Saved in {report.output}</p>",
        "<table cellspacing='6'><tr><th align='left'>label</th><th>precision</th><th>recall</th>"
        "<th>F1</th><th>tagged</th><th>suggested</th></tr>",
    ]
    for score in rows:
        name = "overall" if score is report.overall else score.label
        lines.append(
            f"<tr><td>{name}</td><td align='right'>{cell(score.precision)}</td>"
            f"<td align='right'>{cell(score.recall)}</td><td align='right'>{cell(score.f1)}</td>"
            f"<td align='right'>{score.gold}</td><td align='right'>{score.predicted}</td></tr>"
        )
    lines.append("</table>")
    if not report.held_out_documents:
        lines.append("<p>No document was held out, so there are no scores.</p>")
    return "".join(lines)


class SuggestionActions(QObject):
    """The Suggest menu and what its actions start."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.last_job: Job | None = None
        self.last_report = None
        menu = window.menuBar().addMenu("&Suggest")
        window.menuBar().insertMenu(window.menuBar().actions()[-2], menu)
        self.menu = menu
        self.here_action = self._action(
            "Suggest in this &document (rules)", self.suggest_here, "Ctrl+G"
        )
        self.everywhere_action = self._action(
            "Suggest in &every document (rules)", self.suggest_everywhere, "Ctrl+Shift+G"
        )
        self.model_action = self._action("Suggest with a &model or pipeline…", self.ask_suggest)
        menu.addSeparator()
        menu.addAction(window.accept_all_action)
        menu.addAction(window.reject_all_action)
        menu.addSeparator()
        self.train_action = self._action("&Train a model…", self.ask_train, "Ctrl+Shift+T")
        self.order_action = self._action(
            "&Order documents by model uncertainty", self.order_by_uncertainty
        )

    def _action(self, text: str, slot, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        self.menu.addAction(action)
        return action

    # --- suggesting --------------------------------------------------------------------------

    def suggest_here(self) -> Job | None:
        document = self.window.session.document
        if document is None:
            self.window.report("Open a document first")
            return None
        return self.suggest([document.id])

    def suggest_everywhere(self) -> Job:
        return self.suggest(None)

    def ask_suggest(self) -> SuggestDialog:
        dialog = SuggestDialog(self.window.settings.last_model, self.window)
        dialog.accepted.connect(lambda: self._on_suggest_dialog_accepted(dialog))
        self.suggest_dialog = dialog
        dialog.open()
        return dialog

    def _on_suggest_dialog_accepted(self, dialog: SuggestDialog) -> None:
        if not dialog.source():
            self.window.report("Name a model folder or an installed pipeline")
            return
        document = self.window.session.document
        ids = None if dialog.everywhere.isChecked() or document is None else [document.id]
        self.suggest(ids, dialog.source(), dialog.labels())

    def suggest(self, document_ids: list[int] | None, source: str = RULES, labels=None) -> Job:
        """Compute and write suggestions in the background (cancellable; finished documents
        keep theirs). They are the analyst's own, waiting to be accepted or rejected."""
        from desktop.nlp.suggest import suggest

        store = self.window.store
        annotator = self.window.session.editing.name
        where = "this document" if document_ids and len(document_ids) == 1 else "every document"
        job = run_with_progress(
            self.window,
            f"Suggesting in {where}",
            lambda progress: suggest(
                store, document_ids, annotator, source=source, labels=labels, progress=progress
            ),
        )
        job.succeeded.connect(self._on_suggest_job_succeeded)
        job.failed.connect(lambda reason: self.window.report(f"No suggestions: {reason}"))
        self.last_job = job
        return job

    def _on_suggest_job_succeeded(self, summary) -> None:
        session = self.window.session
        if session.document is not None and session.document.id in summary.changed:
            session.reload_spans()
        if summary.uncertainty:
            self.window.documents.model.set_scores(summary.uncertainty)
        text = f"{summary.added} new suggestion(s) from {summary.source} in {len(summary.done)} document(s)"
        if summary.cancelled:
            text += " (stopped: the other documents were left as they were)"
        text += ". Enter accepts the one at the cursor, Backspace rejects it, Tab moves on."
        self.window.statusBar().showMessage(text, 12000)

    # --- training ----------------------------------------------------------------------------

    def ask_train(self) -> TrainDialog | None:
        try:
            annotators = self.window.store.annotators()
        except StoreError as exc:
            self.window.session.report_read_failure(exc, "No model is being trained.", None)
            return None
        dialog = TrainDialog(annotators, self.window)
        dialog.accepted.connect(
            lambda: self.train(dialog.options(), Path(dialog.output.text()).expanduser())
        )
        self.train_dialog = dialog
        dialog.open()
        return dialog

    def train(self, options, output: Path) -> Job:
        """Train a span categorizer in the background, then show its held-out scores."""
        from desktop.nlp.train import train

        store = self.window.store
        job = run_with_progress(
            self.window, "Training", lambda progress: train(store, output, options, progress)
        )
        job.succeeded.connect(self._on_train_job_succeeded)
        job.failed.connect(lambda reason: self.window.report(f"No model was trained: {reason}"))
        job.cancelled.connect(
            lambda: self.window.statusBar().showMessage(
                "Training cancelled; nothing was saved", 6000
            )
        )
        self.last_job = job
        return job

    def _on_train_job_succeeded(self, report) -> None:
        self.last_report = report
        self.window.settings.last_model = str(report.output)
        self.window.settings.save()
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Model trained")
        browser = QTextBrowser(dialog)
        browser.setHtml(report_html(report))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        dialog.resize(560, 360)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.report_dialog = dialog
        dialog.show()

    # --- uncertainty -------------------------------------------------------------------------

    def order_by_uncertainty(self, model: str | None = None) -> Job | None:
        """Put the documents the last trained model is least sure about first."""
        from desktop.nlp.train import uncertainty_scores

        model = model or self.window.settings.last_model
        if not model:
            self.window.report("Train a model first (Suggest → Train a model)")
            return None
        store = self.window.store
        job = run_with_progress(
            self.window,
            "Scoring documents",
            lambda progress: uncertainty_scores(store, model, None, progress),
        )

        def scored(scores: dict[int, float]) -> None:
            self.window.documents.sort_by_uncertainty(scores)
            self.window.statusBar().showMessage(
                "Documents ordered by the model's uncertainty, most uncertain first", 8000
            )

        job.succeeded.connect(scored)
        job.failed.connect(
            lambda reason: self.window.report(f"Could not order the documents: {reason}")
        )
        self.last_job = job
        return job


def install_suggestions(window) -> SuggestionActions:
    return SuggestionActions(window)
