"""The export dialog: a format, where to write it, and which spans leave (annotators or the
gold layer, labels, statuses), with the options of the chosen format."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.records import AnnotatorRecord, ExportFilter, LabelRecord
from desktop.formats import FORMATS, ExportOptions, export_formats
from desktop.ui import checklist
from desktop.ui.span_panel import swatch

STATUSES = ("accepted", "suggested", "rejected")


def _checklist(parent: QWidget, items: list[tuple[str, object, bool]]) -> QListWidget:
    widget = QListWidget(parent)
    checklist.fill(widget, items)
    widget.setMaximumHeight(110)
    return widget


class ExportDialog(QDialog):
    def __init__(
        self,
        labels: list[LabelRecord],
        annotators: list[AnnotatorRecord],
        start_folder: Path,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.resize(520, 560)
        self.start_folder = start_folder
        self.format = QComboBox(self)
        for name in export_formats():
            self.format.addItem(f"{name} — {FORMATS[name].description}", name)
        self.output = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.output, 1)
        path_row.addWidget(browse)
        people = [a for a in annotators if not a.is_gold]
        self.annotators = _checklist(self, [(a.name, a.name, False) for a in people])
        self.gold = QCheckBox("Only the gold layer (adjudicated spans)", self)
        self.gold.setEnabled(any(a.is_gold for a in annotators))
        self.gold.toggled.connect(lambda on: self.annotators.setEnabled(not on))
        self.labels = _checklist(self, [(label.name, label.name, True) for label in labels])
        for row, label in enumerate(labels):
            self.labels.item(row).setIcon(swatch(label.colour))
        self.statuses = _checklist(
            self, [(status, status, status == "accepted") for status in STATUSES]
        )
        self.status_note = QLabel(self)
        self.status_note.setWordWrap(True)
        self.split = QDoubleSpinBox(self)
        self.split.setRange(0.0, 0.9)
        self.split.setSingleStep(0.05)
        self.split.setSpecialValueText("no split")
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.overlap = QComboBox(self)
        for value, text in (
            ("longest", "the longest span"),
            ("first", "the first span"),
            ("label-order", "the label listed first"),
        ):
            self.overlap.addItem(text, value)
        self.options_box = QGroupBox("Options of the format", self)
        options_form = QFormLayout(self.options_box)
        options_form.addRow("Held out as dev", self.split)
        options_form.addRow("Seed", self.seed)
        options_form.addRow("Where spans overlap, keep", self.overlap)
        self._option_rows = {"split": self.split, "seed": self.seed, "overlap": self.overlap}
        self._options_form = options_form
        who = QGroupBox("Whose spans (none ticked: everyone's)", self)
        who_layout = QVBoxLayout(who)
        who_layout.addWidget(self.annotators)
        who_layout.addWidget(self.gold)
        which = QGroupBox("Which spans", self)
        which_form = QFormLayout(which)
        which_form.addRow("Labels", self.labels)
        which_form.addRow("Status", self.statuses)
        which_form.addRow(self.status_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Write to", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(who)
        layout.addWidget(which)
        layout.addWidget(self.options_box)
        layout.addWidget(buttons)
        self.who, self.which = who, which
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()

    # --- public API --------------------------------------------------------------------------

    def format_name(self) -> str:
        return self.format.currentData()

    def output_path(self) -> Path:
        return Path(self.output.text()).expanduser()

    def options(self) -> ExportOptions:
        labels = checklist.ticked(self.labels)
        every_label = len(labels) == self.labels.count()
        return ExportOptions(
            filter=ExportFilter(
                annotators=()
                if self.gold.isChecked()
                else tuple(checklist.ticked(self.annotators)),
                gold=self.gold.isChecked(),
                labels=() if every_label else tuple(labels),
                statuses=tuple(checklist.ticked(self.statuses)),
            ),
            split=self.split.value() or None,
            seed=self.seed.value(),
            overlap=self.overlap.currentData(),
        )

    def writes_folder(self) -> bool:
        return FORMATS[self.format_name()].writes_folder(self.options())

    # --- slots -------------------------------------------------------------------------------

    def _on_format_changed(self) -> None:
        """Offer only what the chosen format takes: its filters, statuses and options."""
        name = self.format_name()
        info = FORMATS[name]
        offered = {option.name for option in info.options}
        for field, widget in self._option_rows.items():
            self._options_form.setRowVisible(widget, field in offered)
        self.options_box.setVisible(bool(offered))
        self.annotators.setEnabled("annotator" in info.filters and not self.gold.isChecked())
        self.gold.setVisible("gold" in info.filters)
        self.labels.setEnabled("label" in info.filters)
        lossless = not info.export_statuses
        for row in range(self.statuses.count()):
            item = self.statuses.item(row)
            status = item.data(Qt.ItemDataRole.UserRole)
            allowed = status in info.statuses
            flags = item.flags()
            item.setFlags(
                flags | Qt.ItemFlag.ItemIsEnabled if allowed else flags & ~Qt.ItemFlag.ItemIsEnabled
            )
            item.setCheckState(
                Qt.CheckState.Checked
                if allowed and (lossless or status == "accepted")
                else Qt.CheckState.Unchecked
            )
        self.status_note.setText(
            "Dossier's own JSONL keeps every status. Dataset formats export accepted spans "
            "only, so suggestions never leave as labels."
            + (" Label Studio writes suggestions as predictions." if name == "labelstudio" else "")
        )
        current = self.output.text()
        stem = Path(current).stem if current else "dossier-export"
        folder = Path(current).parent if current else self.start_folder
        self.output.setText(str(folder / (stem + info.extension)))

    def _on_browse_clicked(self) -> None:
        if self.writes_folder():
            chosen = QFileDialog.getExistingDirectory(
                self, "Export into folder", str(self.output_path().parent)
            )
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to file", str(self.output_path()))
        if chosen:
            self.output.setText(chosen)

    def _on_ok(self) -> None:
        if not self.output.text().strip():
            self.output.setFocus()
            return
        if not checklist.ticked(self.statuses):
            self.status_note.setText("Tick at least one status.")
            return
        self.accept()
