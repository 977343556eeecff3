"""The open project as the window sees it: the store, who is annotating, which layers are
shown, the document in view, and the undo stack. Every edit goes through :meth:`execute`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from db.records import AnnotatorRecord, DocumentRecord, LabelRecord, NewSpan, SpanRecord
from db.store import Store, StoreError
from desktop import commands
from desktop.commands import Change, Command, LabelChange
from desktop.formats.base import collector_paused
from desktop.settings import Settings
from desktop.ui.document_view import DocumentView
from desktop.ui.span_layers import SpanIndex
from desktop.ui.undo import StoreUndoCommand
from desktop.ui.workers import Job

VISIBLE_FIRST = 6000  # characters around the restored position whose spans load before the rest


@dataclass(frozen=True, slots=True)
class Layer:
    """One annotator's spans as shown in the view."""

    annotator: AnnotatorRecord
    style: str  # own, other, gold
    index: int  # tells several other annotators apart (underline pattern)


class Session(QObject):
    """Signals say what changed, so that panels redraw only that."""

    #: a document was opened (its record)
    documentOpened = Signal(object)
    #: spans or progress changed on a document (a desktop.commands.Change)
    changed = Signal(object)
    #: the labels were edited (list of LabelRecord)
    labelsChanged = Signal(object)
    #: the annotator or the shown layers changed
    layersChanged = Signal()
    #: every span of the open document is loaded (after the first screen)
    spansLoaded = Signal()
    #: a message for the status bar (text, milliseconds)
    message = Signal(str, int)
    #: something was refused or failed (a one-line reason)
    failed = Signal(str)

    def __init__(
        self, store: Store, settings: Settings, view: DocumentView, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.view = view
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(1000)
        self.annotator = store.ensure_annotator(settings.annotator)
        self.editing = self.annotator  # whose spans new tags become
        self.layers: list[Layer] = [Layer(self.annotator, "own", 0)]
        self.labels: list[LabelRecord] = store.labels()
        self.document: DocumentRecord | None = None
        # Whether the view holds every span the layers show (not just those of the first screen)
        self.all_spans_shown = False
        self._tokens_job: Job | None = None
        self._spans_job: Job | None = None
        view.set_labels(self.labels)
        view.snap_to_tokens = settings.snap_to_tokens

    # --- documents ---------------------------------------------------------------------------

    def open_document(self, document_id: int | None, *, scroll_to: int | None = None) -> None:
        """Show a document: its text and the spans in view at once, the rest just after."""
        if self.document is not None:
            self.remember_position()
        if document_id is None:
            self.document = None
            self.all_spans_shown = False
            self.view.set_document("")
            self.documentOpened.emit(None)
            return
        document = self.store.document(document_id)
        self.document = document
        self.all_spans_shown = False
        self.view.set_document(document.text)
        if scroll_to is None:
            scroll_to = self.settings.scroll_positions.get(self._position_key(document.id), 0)
        if scroll_to:
            self.view.scroll_to_offset(scroll_to)
        first = max(0, scroll_to - VISIBLE_FIRST // 4)
        self.view.set_spans(self._layer_spans(first, first + VISIBLE_FIRST))
        self.settings.last_document[self.store.url] = document.id
        self.documentOpened.emit(document)
        QTimer.singleShot(0, lambda: self._load_all_spans(document.id))

    def _load_all_spans(self, document_id: int) -> None:
        """The rest of the spans, read and indexed off the GUI thread once the first screen
        is painted; then the tokens."""
        if self.document is None or self.document.id != document_id:
            return
        offsets = self.view.offsets
        layers = self.layers

        def load(_progress) -> SpanIndex:
            with collector_paused():
                return SpanIndex.build(self._layer_spans(layers=layers), offsets)

        def loaded(index: SpanIndex) -> None:
            if (
                self.document is None
                or self.document.id != document_id
                or self.view.offsets is not offsets
            ):
                return
            if self.layers is layers:  # else other layers were chosen, and shown, meanwhile
                for span in self.view.spans():  # what was tagged meanwhile stays
                    if span.uuid not in index:
                        index.add(span)
                self.view.adopt_index(index)
                self.all_spans_shown = True
                self.spansLoaded.emit()
            self._start_tokens(self.document)

        job = Job(load, owner=self)
        job.succeeded.connect(loaded)
        job.failed.connect(lambda reason: self.failed.emit(f"Could not load the spans: {reason}"))
        self._spans_job = job
        job.start()

    def _layer_spans(self, start: int | None = None, end: int | None = None, *, layers=None):
        """(record, style, layer) for every span the layers (default: those shown) show."""
        assert self.document is not None
        result = []
        for layer in self.layers if layers is None else layers:
            statuses = (
                ["accepted", "suggested"] if layer.annotator.id == self.editing.id else ["accepted"]
            )
            if start is None:
                records = self.store.spans(
                    self.document.id, annotator_ids=[layer.annotator.id], statuses=statuses
                )
            else:
                records = self.store.spans_in_range(
                    self.document.id,
                    start,
                    end,
                    annotator_ids=[layer.annotator.id],
                    statuses=statuses,
                )
            result.extend((record, self.style_of(record, layer), layer.index) for record in records)
        return result

    def style_of(self, record: SpanRecord, layer: Layer | None = None) -> str:
        if record.status == "suggested":
            return "suggested"
        if layer is None:
            layer = next(
                (each for each in self.layers if each.annotator.id == record.annotator_id), None
            )
        return layer.style if layer else "own"

    def shown(self, record: SpanRecord) -> bool:
        """Whether the layers show this span."""
        for layer in self.layers:
            if layer.annotator.id == record.annotator_id:
                return record.status == "accepted" or (
                    record.status == "suggested" and record.annotator_id == self.editing.id
                )
        return False

    def remember_position(self) -> None:
        if self.document is not None:
            self.settings.scroll_positions[self._position_key(self.document.id)] = (
                self.view.first_visible_offset()
            )

    def _position_key(self, document_id: int) -> str:
        return f"{self.store.url}|{document_id}"

    def _start_tokens(self, document: DocumentRecord) -> None:
        """Tokenize the document off the GUI thread; snapping uses it when it is ready."""
        from desktop.nlp.tokens import TokenIndex  # spaCy loads lazily, after the window

        text, language, document_id = document.text, document.language, document.id

        def done(index) -> None:
            if self.document is not None and self.document.id == document_id:
                self.view.set_token_index(index)

        job = Job(lambda progress: TokenIndex.of(text, language), owner=self)
        job.succeeded.connect(done)
        job.failed.connect(
            lambda reason: self.message.emit(f"Token snapping unavailable: {reason}", 5000)
        )
        self._tokens_job = job
        job.start()

    def token_index(self):
        """The open document's tokens, computed now if the background job has not finished."""
        index = self.view.token_index
        if index is None and self.document is not None:
            from desktop.nlp.tokens import TokenIndex

            index = TokenIndex.of(self.document.text, self.document.language)
            self.view.set_token_index(index)
        return index

    # --- layers ------------------------------------------------------------------------------

    def set_annotator(self, name: str) -> None:
        """Annotate as someone else (Preferences): reload what the view shows."""
        self.annotator = self.store.ensure_annotator(name)
        self.editing = self.annotator
        self.layers = [Layer(self.annotator, "own", 0)]
        self.undo_stack.clear()
        self.layersChanged.emit()
        self.reload_spans()

    def set_layers(
        self, annotators: list[AnnotatorRecord], editing: AnnotatorRecord | None = None
    ) -> None:
        """Show these annotators' spans; new tags go to ``editing`` (default: oneself)."""
        self.editing = editing or self.annotator
        layers = []
        others = 0
        for annotator in annotators:
            if annotator.id == self.editing.id:
                layers.append(Layer(annotator, "gold" if annotator.is_gold else "own", 0))
            elif annotator.is_gold:
                layers.append(Layer(annotator, "gold", 0))
            else:
                others += 1
                layers.append(Layer(annotator, "other", others))
        self.layers = layers or [Layer(self.editing, "own", 0)]
        self.layersChanged.emit()
        self.reload_spans()

    def editing_shown(self) -> bool:
        """Whether the layer new tags go to is shown (if not, tagging is refused)."""
        return any(layer.annotator.id == self.editing.id for layer in self.layers)

    def reload_spans(self) -> None:
        if self.document is not None:
            self.view.set_spans(self._layer_spans())
            self.all_spans_shown = True
            self.spansLoaded.emit()

    # --- labels ------------------------------------------------------------------------------

    def reload_labels(self) -> None:
        self.labels = self.store.labels()
        self.view.set_labels(self.labels)
        self.labelsChanged.emit(self.labels)
        self.reload_spans()

    def label(self, label_id: int) -> LabelRecord | None:
        return next((label for label in self.labels if label.id == label_id), None)

    def label_by_name(self, name: str) -> LabelRecord | None:
        return next((label for label in self.labels if label.name.lower() == name.lower()), None)

    # --- edits -------------------------------------------------------------------------------

    def execute(self, command: Command) -> bool:
        """Apply a command (committed before this returns), show it, and put it on the undo
        stack. A refusal is reported and leaves everything as it was."""
        try:
            change = command.apply()
        except StoreError as exc:
            self.failed.emit(str(exc))
            return False
        self.undo_stack.push(StoreUndoCommand(command, self.apply_change, self.failed.emit))
        self.apply_change(change)
        return True

    def apply_change(self, change: Change | LabelChange) -> None:
        """Redraw after an edit, undo or redo; an undo on another document opens it."""
        if isinstance(change, LabelChange):
            self.reload_labels()
            return
        if self.document is None or change.document_id != self.document.id:
            self.open_document(change.document_id)
        for record in change.added + change.updated:
            if self.shown(record):
                self.view.put_span(record, self.style_of(record))
            else:
                self.view.remove_span(record.uuid)
        for span_uuid in change.removed:
            self.view.remove_span(span_uuid)
        focus = (change.added + change.updated)[-1:] if (change.added or change.updated) else []
        if focus and self.shown(focus[0]):
            self.view.select_span(focus[0].uuid)
        self.changed.emit(change)

    def tag_selection(self, label_id: int) -> None:
        """The label key: tag the selected text, or relabel the selected span."""
        if self.document is None:
            return
        start, end = self.view.python_selection()
        if start < end:
            if not self.editing_shown():
                self.message.emit(
                    f"The layers shown are read-only: show {self.editing.name}'s spans to tag",
                    5000,
                )
                return
            text = self.document.text
            if self.view.snap_to_tokens and not self.view.selection_is_exact:
                start, end = self.token_index().snap(start, end)
            if not text[start:end].strip():
                self.message.emit("Only white space is selected: nothing to tag", 3000)
                return
            command = commands.AddSpan(
                self.store,
                self.document.id,
                label_id,
                self.editing.id,
                start,
                end,
                origin="review" if self.editing.is_gold else "manual",
            )
            if self.execute(command):
                self.view.clear_text_selection()
            return
        selected = self.view.selected_span()
        if selected is not None:
            self.relabel([selected], label_id)
            return
        self.message.emit(
            "Select some text first (drag, or Shift+arrows), then press a label's key", 4000
        )

    def editable(self, record: SpanRecord) -> bool:
        return record.annotator_id == self.editing.id

    def relabel(self, spans: list[SpanRecord], label_id: int) -> None:
        spans = [s for s in spans if s.label_id != label_id]
        if not spans:
            return
        if not all(self.editable(s) for s in spans):
            self.failed.emit(
                "Only your own spans can be relabelled; another annotator's stay as they are"
            )
            return
        label = self.label(label_id)
        self.execute(
            commands.relabel_spans(self.store, spans, label_id, label.name if label else "?")
        )

    def delete(self, spans: list[SpanRecord]) -> None:
        if not spans:
            return
        if not all(self.editable(s) for s in spans):
            self.failed.emit(
                "Only your own spans can be deleted; another annotator's stay as they are"
            )
            return
        self.execute(commands.DeleteSpans(self.store, spans))

    def delete_selected(self) -> None:
        selected = self.view.selected_span()
        if selected is not None:
            self.delete([selected])

    def set_note(self, span: SpanRecord, note: str) -> None:
        if note != span.note and self.editable(span):
            self.execute(commands.edit_note(self.store, span, note))

    def current_suggestion(self) -> SpanRecord | None:
        for record in self.view.spans_at_cursor():
            if record.status == "suggested":
                return record
        return None

    def accept_current(self) -> None:
        """Enter: the suggestion under the cursor becomes the analyst's span."""
        suggestion = self.current_suggestion()
        if suggestion is None:
            self.message.emit("No suggestion here: Tab moves to the next span", 3000)
            return
        self.execute(commands.accept_suggestions(self.store, [suggestion]))
        self.view.select_neighbour()

    def reject_current(self) -> None:
        """Backspace: reject the suggestion under the cursor (it is not offered again)."""
        suggestion = self.current_suggestion()
        if suggestion is None:
            return
        self.execute(commands.reject_suggestions(self.store, [suggestion]))
        self.view.select_neighbour()

    def suggestions(self) -> list[SpanRecord]:
        return [s.record for s in self.view.spans() if s.record.status == "suggested"]

    def accept_all(self) -> None:
        pending = self.suggestions()
        if pending:
            self.execute(commands.accept_suggestions(self.store, pending))

    def reject_all(self) -> None:
        pending = self.suggestions()
        if pending:
            self.execute(commands.reject_suggestions(self.store, pending))

    def set_status(self, status: str) -> None:
        if self.document is not None:
            self.execute(
                commands.SetDocumentStatus(self.store, self.document.id, self.annotator.id, status)
            )

    def add_suggestions(self, spans: list[NewSpan]) -> None:
        """Write suggestions for the open document (used by suggestion jobs)."""
        if self.document is None:
            return
        added = self.store.add_spans(self.document.id, spans)
        self.apply_change(Change(self.document.id, added=added))
