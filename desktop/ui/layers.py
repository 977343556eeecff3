"""Whose spans the document view shows: the layer chooser (toolbar and View menu), the key
that cycles through the choices, the "Several…" checklist, and a legend that shows each
shown annotator's underline pattern so that one can tell whose span is whose at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from db.records import AnnotatorRecord
from db.store import StoreError
from db.tables import GOLD
from desktop.ui import checklist
from desktop.ui.document_view import BAR, layer_pen_style
from desktop.ui.session import Session

NEXT_LAYERS_KEY = "Ctrl+Shift+L"
SEVERAL = "several"  # the combo entry that opens the checklist


@dataclass(frozen=True, slots=True)
class LayerChoice:
    """One way of filling the view: whose spans (by name, in order), and whose new tags."""

    title: str
    annotators: tuple[str, ...]
    editing: str | None = None  # None: the window's annotator

    def matches(self, session: Session) -> bool:
        shown = tuple(layer.annotator.name for layer in session.layers)
        editing = self.editing or session.annotator.name
        return shown == self.annotators and editing == session.editing.name


def preset_choices(me: AnnotatorRecord, annotators: list[AnnotatorRecord]) -> list[LayerChoice]:
    """ "My spans", each other annotator alone (read-only), and the gold layer (read-only)."""
    choices = [LayerChoice("My spans", (me.name,))]
    for annotator in annotators:
        if annotator.id != me.id and not annotator.is_gold:
            choices.append(LayerChoice(annotator.name, (annotator.name,)))
    if not me.is_gold:
        choices.append(LayerChoice("Gold", (GOLD,)))
    return choices


def describe_layers(session: Session) -> str:
    """The shown layers in words, e.g. "analyst_a + analyst_b + gold"."""
    return " + ".join(layer.annotator.name for layer in session.layers)


def pattern_pixmap(style: str, index: int, colour: QColor, width: int = 30) -> QPixmap:
    """A sample of the underline a layer's spans get (solid, patterned, or double for gold)."""
    ratio = 2.0
    pixmap = QPixmap(int(width * ratio), int(10 * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(colour, BAR)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    if style == "other":
        pen.setStyle(layer_pen_style(index))
    painter.setPen(pen)
    y = 4.0 if style == "gold" else 5.0
    painter.drawLine(QPointF(1, y), QPointF(width - 1, y))
    if style == "gold":
        painter.drawLine(QPointF(1, y + BAR + 1), QPointF(width - 1, y + BAR + 1))
    painter.end()
    return pixmap


class LayerLegendWidget(QWidget):
    """Each shown annotator with the underline pattern their spans are drawn with."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(6, 0, 6, 0)
        self._row.setSpacing(10)
        self.setToolTip(
            "Whose span is whose: the underline pattern is the annotator, the colour the label"
        )
        self.refresh()

    def entries(self) -> list[tuple[str, str, int]]:
        """(annotator, style, index) per shown layer, in the view's order."""
        return [(layer.annotator.name, layer.style, layer.index) for layer in self._session.layers]

    def refresh(self) -> None:
        while self._row.count():
            item = self._row.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # at once: deleteLater leaves it painted until then
                item.widget().deleteLater()
        colour = self.palette().windowText().color()
        editing = self._session.editing.id
        for layer in self._session.layers:
            sample = QLabel(self)
            sample.setPixmap(pattern_pixmap(layer.style, layer.index, colour))
            name = QLabel(self)
            text = layer.annotator.name
            if layer.annotator.id == editing:
                text += " ✎"
                name.setToolTip("New tags go to this layer")
            name.setText(text)
            pair = QHBoxLayout()
            pair.setSpacing(3)
            pair.addWidget(sample)
            pair.addWidget(name)
            holder = QWidget(self)
            holder.setLayout(pair)
            pair.setContentsMargins(0, 0, 0, 0)
            self._row.addWidget(holder)
        if not self._session.editing_shown():
            note = QLabel("read-only", self)
            note.setStyleSheet("color: palette(mid); font-style: italic;")
            note.setToolTip("New tags go to a layer that is not shown, so tagging is off")
            self._row.addWidget(note)


class LayerComboBox(QComboBox):
    """The choices, refreshed from the project each time the list opens."""

    #: the list is about to open: the owner refills it
    aboutToShowPopup = Signal()

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        self.aboutToShowPopup.emit()
        super().showPopup()


class SeveralLayersDialog(QDialog):
    """A checklist of annotators (and gold) to show at once; new tags stay one's own."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Show several annotators")
        self._session = session
        shown = {layer.annotator.id for layer in session.layers}
        me = session.annotator
        annotators = session.store.annotators()
        ordered = [me] + [a for a in annotators if a.id != me.id and not a.is_gold]
        ordered += [a for a in annotators if a.is_gold and a.id != me.id]
        self.list = QListWidget(self)
        checklist.fill(
            self.list,
            [(a.name + (" (you)" if a.id == me.id else ""), a, a.id in shown) for a in ordered],
        )
        hint = QLabel(
            "Each annotator's spans get their own underline pattern; hover a span to see "
            "whose it is. New tags are yours, so leave yourself checked to tag.",
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(360, 320)

    def set_checked(self, names: list[str]) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            wanted = item.data(Qt.ItemDataRole.UserRole).name in names
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def checked(self) -> list[AnnotatorRecord]:
        return checklist.ticked(self.list)


class LayerChooserWidget(QWidget):
    """ "Show: [My spans ▾]" and the legend; switching goes through :meth:`choose`."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.several_dialog: SeveralLayersDialog | None = None
        self._several: LayerChoice | None = None  # the last checklist choice, for cycling
        self._filling = False
        self.toolbar: QToolBar | None = None  # set by install_layers
        self.cycle_action: QAction | None = None
        self.combo = LayerComboBox(self)
        self.combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip(f"Whose spans the document shows ({NEXT_LAYERS_KEY}: next)")
        self.legend = LayerLegendWidget(session, self)
        caption = QLabel("Show:", self)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.setSpacing(6)
        row.addWidget(caption)
        row.addWidget(self.combo)
        row.addWidget(self.legend)
        self.combo.aboutToShowPopup.connect(self.refill)
        self.combo.activated.connect(self._on_combo_activated)
        session.layersChanged.connect(self._on_session_layers_changed)
        self.refill()

    # --- public API --------------------------------------------------------------------------

    def choices(self) -> list[LayerChoice]:
        """The presets, with the project's current annotators."""
        try:
            annotators = self.session.store.annotators()
        except StoreError as exc:
            self.session.report_read_failure(exc, "Only the layers shown can be chosen.", None)
            annotators = [layer.annotator for layer in self.session.layers]
        return preset_choices(self.session.annotator, annotators)

    def choose(self, choice: LayerChoice) -> None:
        """Show the layers of ``choice``."""
        store = self.session.store
        try:
            known = {annotator.name: annotator for annotator in store.annotators()}
            if GOLD in choice.annotators and GOLD not in known:
                known[GOLD] = store.gold_annotator()  # made on first use
        except StoreError as exc:
            self.session.report_write_failure(exc, "The layers shown did not change.", None)
            return
        records = [known[name] for name in choice.annotators if name in known]
        if not records:
            return
        editing = known.get(choice.editing) if choice.editing else None
        self.session.set_layers(records, editing)
        self.session.message.emit(f"Showing {describe_layers(self.session)}", 3000)

    def choose_title(self, title: str) -> None:
        """Choose a preset by its title ("My spans", an annotator's name, "Gold")."""
        choice = next((c for c in self.choices() if c.title == title), None)
        if choice is None:
            raise ValueError(f"no layer choice called {title!r}")
        self.choose(choice)

    def cycle(self) -> None:
        """Move to the next choice: my spans, each annotator, gold, the last checklist."""
        cycle = self.choices()
        if self._several is not None and self._several not in cycle:
            cycle.append(self._several)
        here = next((i for i, c in enumerate(cycle) if c.matches(self.session)), -1)
        self.choose(cycle[(here + 1) % len(cycle)])

    def choose_several(self) -> SeveralLayersDialog | None:
        """Open the checklist (not blocking); its OK shows the checked annotators."""
        try:
            dialog = SeveralLayersDialog(self.session, self.window())
        except StoreError as exc:
            self.session.report_read_failure(exc, "The layers shown did not change.", None)
            return None
        dialog.accepted.connect(lambda: self._on_several_accepted(dialog))
        dialog.finished.connect(lambda _result: self.refill())
        self.several_dialog = dialog
        dialog.open()
        return dialog

    def current_title(self) -> str:
        return self.combo.currentText()

    def refill(self) -> None:
        """Rebuild the list and select what the view shows."""
        self._filling = True
        try:
            self.combo.clear()
            current = -1
            for choice in self.choices():
                if choice.matches(self.session):
                    current = self.combo.count()
                self.combo.addItem(choice.title, choice)
            if current < 0:
                current = self.combo.count()
                self.combo.addItem(describe_layers(self.session), None)
            self.combo.insertSeparator(self.combo.count())
            self.combo.addItem("Several…", SEVERAL)
            self.combo.setCurrentIndex(current)
        finally:
            self._filling = False
        self.legend.refresh()

    # --- slots -------------------------------------------------------------------------------

    def _on_combo_activated(self, index: int) -> None:
        if self._filling:
            return
        data = self.combo.itemData(index)
        if data == SEVERAL:
            self.choose_several()
        elif isinstance(data, LayerChoice):
            self.choose(data)
        self.session.view.setFocus()

    def _on_several_accepted(self, dialog: SeveralLayersDialog) -> None:
        chosen = dialog.checked()
        if not chosen:
            return
        self._several = LayerChoice(
            " + ".join(a.name for a in chosen), tuple(a.name for a in chosen)
        )
        self.session.set_layers(chosen)

    def _on_session_layers_changed(self) -> None:
        self.refill()


def _fill_layers_menu(menu: QMenu, chooser: LayerChooserWidget, cycle: QAction) -> None:
    menu.clear()
    group = QActionGroup(menu)
    for choice in chooser.choices():
        action = menu.addAction(choice.title)
        action.setCheckable(True)
        action.setChecked(choice.matches(chooser.session))
        action.setActionGroup(group)
        action.triggered.connect(lambda _checked=False, c=choice: chooser.choose(c))
    menu.addAction("Several…").triggered.connect(lambda _checked=False: chooser.choose_several())
    menu.addSeparator()
    menu.addAction(cycle)


def install_layers(window) -> LayerChooserWidget:
    """Add the layer chooser to a toolbar and the View menu, and its key to the window."""
    chooser = LayerChooserWidget(window.session, window)
    toolbar = QToolBar("Layers", window)
    toolbar.setObjectName("layers-toolbar")
    toolbar.setMovable(True)
    toolbar.setIconSize(QSize(16, 16))
    toolbar.addWidget(chooser)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    cycle = QAction("&Next layer view", window)
    cycle.setShortcut(QKeySequence(NEXT_LAYERS_KEY))
    cycle.setStatusTip("Show my spans, each annotator's, gold, or the last several chosen")
    cycle.triggered.connect(lambda _checked=False: chooser.cycle())
    window.addAction(cycle)
    menu = QMenu("&Layers", window)
    menu.aboutToShow.connect(lambda: _fill_layers_menu(menu, chooser, cycle))
    _fill_layers_menu(menu, chooser, cycle)
    view_menu = window.view_menu
    first = view_menu.actions()[0] if view_menu.actions() else None
    view_menu.insertMenu(first, menu)
    view_menu.insertAction(first, toolbar.toggleViewAction())
    view_menu.insertSeparator(first)
    chooser.toolbar = toolbar
    chooser.cycle_action = cycle
    return chooser
