"""What an empty project shows: what Dossier is for, and the two ways to start."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomeWidget(QWidget):
    importRequested = Signal()
    samplesRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("<h2>This project has no articles yet</h2>", self)
        text = QLabel(
            "<p>Dossier keeps news articles and the spans you tag in them: "
            "<b>claims</b>, <b>actors</b> and <b>events</b>.</p>"
            "<ol>"
            "<li>Import articles: text or Markdown files, whole folders, or the files of "
            "Prodigy, doccano, brat, Label Studio or INCEpTION (<b>File → Import</b>, or drop "
            "files here).</li>"
            "<li>Select words in an article and press <b>C</b> (claim), <b>A</b> (actor) or "
            "<b>E</b> (event). The span is saved at once: there is nothing to save.</li>"
            "<li>Mark the article done with <b>Ctrl+D</b> and move on with <b>Ctrl+PgDown</b>.</li>"
            "</ol>"
            "<p>New to it? Open three short sample articles and tag your first claim.</p>",
            self,
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.import_button = QPushButton("Import articles…", self)
        self.samples_button = QPushButton("Open the sample articles", self)
        self.samples_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.samples_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(title)
        column.addWidget(text)
        column.addLayout(buttons)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 3)
        outer.addStretch(1)
        self.import_button.clicked.connect(self.importRequested)
        self.samples_button.clicked.connect(self.samplesRequested)
