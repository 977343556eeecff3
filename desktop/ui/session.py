"""The open project as the window sees it: the store, who is annotating, which layers are
shown, the document in view, and the undo stack. Every edit goes through :meth:`execute`.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from db.records import (
    AnnotatorRecord,
    DocumentRecord,
    EntityRecord,
    LabelRecord,
    NewSpan,
    RelationRecord,
    SpanRecord,
)
from db.store import ConflictError, Store, StoreError, UnavailableError
from desktop import commands, conflicts
from desktop.commands import Change, Command, LabelChange
from desktop.review.actors import ActorChange
from desktop.settings import Settings
from desktop.ui.document_view import DocumentView
from desktop.ui.failure_bar import Failure, split_cause
from desktop.ui.span_layers import SpanIndex
from desktop.ui.undo import StoreUndoCommand
from desktop.ui.workers import Job

VISIBLE_FIRST = 6000  # characters around the restored position whose spans load before the rest
TOKENS_KEPT = 2  # documents whose tokens are kept: going back to one does not tokenize it again


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
    #: canonical actors were created, edited, merged or split, or proposals rejected (a
    #: desktop.review.actors.ActorChange); spans relinked in the open document are redrawn
    #: (and ``changed`` emitted for them) first
    actorsChanged = Signal(object)
    #: the annotator or the shown layers changed
    layersChanged = Signal()
    #: every span of the open document is loaded (after the first screen)
    spansLoaded = Signal()
    #: a message for the status bar (text, milliseconds)
    message = Signal(str, int)
    #: something was refused or failed (a one-line reason)
    failed = Signal(str)
    #: a write or a read of the database failed (a desktop.ui.failure_bar.Failure, with the
    #: means to try the same action again when the database may yet answer)
    failure = Signal(object)

    def __init__(
        self, store: Store, settings: Settings, view: DocumentView, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.view = view
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(1000)
        #: the login as a member of the project's team (None off a team): the server lets
        #: it write only as itself, so one annotates as the login, not the preference
        self.member = store.team_member()
        if self.member is not None and store.actor != self.member.name:
            store.set_actor(self.member.name)
        self.annotator = store.ensure_annotator(
            self.member.name if self.member else settings.annotator
        )
        self.editing = self.annotator  # whose spans new tags become
        self.layers: list[Layer] = [Layer(self.annotator, "own", 0)]
        self.labels: list[LabelRecord] = store.labels()
        self.document: DocumentRecord | None = None
        # Whether the view holds every span the layers show (not just those of the first screen)
        self.all_spans_shown = False
        self._tokens_job: Job | None = None
        # The tokens of the last documents, by text and language (an id may be reused after a
        # deletion; a text is never rewritten).
        self._tokens_kept: OrderedDict[tuple[str, str | None], object] = OrderedDict()
        self._tokens_coming: set[tuple[str, str | None]] = set()  # being tokenized
        self._spans_job: Job | None = None
        # Edits applied to the open document while its spans load: the spans and relations
        # read in the background may predate them, so they are applied again on top.
        self._changes_while_loading: list[Change] | None = None
        #: The open document's relations, read with its spans, while spansLoaded is emitted
        #: after the background load (None otherwise: whoever needs them reads them).
        self.loaded_relations: list[RelationRecord] | None = None
        # Canonical actors met by hovering and the span panel, by uuid (None: no such actor);
        # emptied whenever actors change.
        self._actors: dict[str, EntityRecord | None] = {}
        #: called before every edit; raises StoreError to refuse it (desktop.ui.live: the
        #: connection to the server is lost, and what is shown is read-only until it is back)
        self.before_edit: Callable[[], None] | None = None
        view.set_labels(self.labels)
        view.snap_to_tokens = settings.snap_to_tokens

    # --- documents ---------------------------------------------------------------------------

    def open_document(self, document_id: int | None, *, scroll_to: int | None = None) -> bool:
        """Show a document: its text and the spans in view at once, the rest just after.

        A database that cannot be read is reported and the document in view stays."""
        if self.document is not None:
            self.remember_position()
        if document_id is None:
            self.document = None
            self.all_spans_shown = False
            self.view.set_document("")
            self.documentOpened.emit(None)
            return True
        if scroll_to is None:
            scroll_to = self.settings.scroll_positions.get(self._position_key(document_id), 0)
        first = max(0, scroll_to - VISIBLE_FIRST // 4)
        try:
            document = self.store.document(document_id)
            spans = self._layer_spans(first, first + VISIBLE_FIRST, document_id=document_id)
        except StoreError as exc:
            self.report_read_failure(
                exc,
                "The document was not opened.",
                lambda: self.open_document(document_id, scroll_to=scroll_to),
            )
            return False
        self.document = document
        self.all_spans_shown = False
        self._changes_while_loading = []
        self.view.set_document(document.text)
        if scroll_to:
            self.view.scroll_to_offset(scroll_to)
        self.view.set_spans(spans)
        self.settings.last_document[self.store.url] = document.id
        self.documentOpened.emit(document)
        QTimer.singleShot(0, self, lambda: self._load_all_spans(document.id))
        return True

    def _load_all_spans(self, document_id: int) -> None:
        """The rest of the spans and the relations, read (and the spans indexed) off the GUI
        thread once the first screen is painted; then the tokens."""
        if self.document is None or self.document.id != document_id:
            return
        offsets = self.view.offsets
        layers = self.layers

        def load(_progress) -> tuple[SpanIndex, list[RelationRecord] | None]:
            # Imported here: the formats package is not needed before the window paints.
            from desktop.formats.base import collector_paused

            with collector_paused():
                index = SpanIndex.build(self._layer_spans(layers=layers), offsets)
                try:
                    relations = self.store.relations(document_id)
                except StoreError:
                    relations = None  # read again on the GUI thread, which reports a failure
                # The tens of thousands of records just made live as long as the document is
                # open: set aside from the collector, which would otherwise go through them
                # all, generation after generation, on the GUI thread (up to 250 ms a pass
                # once spaCy is loaded). They are freed by reference counting all the same.
                gc.freeze()
            return index, relations

        def loaded(result: tuple[SpanIndex, list[RelationRecord] | None]) -> None:
            if (
                self.document is None
                or self.document.id != document_id
                or self.view.offsets is not offsets
            ):
                return
            index, relations = result
            changes, self._changes_while_loading = self._changes_while_loading or [], None
            if self.layers is layers:  # else other layers were chosen, and shown, meanwhile
                for span in self.view.spans():  # what was tagged meanwhile stays
                    if span.uuid not in index:
                        index.add(span)
                self.view.adopt_index(index)
                for change in changes:  # the read may predate them
                    self._redraw_spans(change)
                self.all_spans_shown = True
                self.loaded_relations = _with_changes(relations, changes)
                try:
                    self.spansLoaded.emit()
                finally:
                    self.loaded_relations = None
            # Once the spans are painted: tokenizing in the background would hold up that
            # paint, both wanting the interpreter.
            QTimer.singleShot(0, self, lambda: self._start_tokens_of(document_id))

        job = Job(load, owner=self)
        job.succeeded.connect(loaded)
        job.failed.connect(lambda reason: self.failed.emit(f"Could not load the spans: {reason}"))
        self._spans_job = job
        job.start()

    def _layer_spans(
        self,
        start: int | None = None,
        end: int | None = None,
        *,
        layers=None,
        document_id: int | None = None,
    ):
        """(record, style, layer) for every span the layers (default: those shown) show in
        a document (default: the one open)."""
        if document_id is None:
            assert self.document is not None
            document_id = self.document.id
        layers = self.layers if layers is None else layers
        shown = [
            (
                layer.annotator.id,
                ["accepted", "suggested"]
                if layer.annotator.id == self.editing.id
                else ["accepted"],
            )
            for layer in layers
        ]
        if start is None:  # every span, in one query
            by_annotator = {layer.annotator.id: layer for layer in layers}
            result = []
            for record in self.store.shown_spans(document_id, shown):
                layer = by_annotator[record.annotator_id]
                result.append((record, self.style_of(record, layer), layer.index))
            return result
        result = []
        for layer, (annotator_id, statuses) in zip(layers, shown, strict=True):
            records = self.store.spans_in_range(
                document_id, start, end, annotator_ids=[annotator_id], statuses=statuses
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

    def jobs_running(self) -> bool:
        """Whether a background job of the session (the spans of the document opened, its
        tokens) is still running."""
        return any(
            job is not None and job.is_running for job in (self._spans_job, self._tokens_job)
        )

    def _start_tokens_of(self, document_id: int) -> None:
        if self.document is not None and self.document.id == document_id:
            self._start_tokens(self.document)

    def _start_tokens(self, document: DocumentRecord) -> None:
        """Tokenize the document off the GUI thread; snapping uses it when it is ready."""
        key = (document.content_hash, document.language)
        if key in self._tokens_kept:
            self._tokens_kept.move_to_end(key)
            self.view.set_token_index(self._tokens_kept[key])
            return
        if key in self._tokens_coming:  # reopened while its tokens are still being made
            return
        from desktop.nlp.tokens import TokenIndex  # spaCy loads lazily, after the window

        text, language = document.text, document.language

        def done(index) -> None:
            self._keep_tokens(key, index)
            document = self.document
            if document is not None and (document.content_hash, document.language) == key:
                self.view.set_token_index(index)

        job = Job(lambda progress: TokenIndex.of(text, language), owner=self)
        job.succeeded.connect(done)
        job.failed.connect(
            lambda reason: self.message.emit(f"Token snapping unavailable: {reason}", 5000)
        )
        job.ended.connect(lambda: self._tokens_coming.discard(key))
        self._tokens_coming.add(key)
        self._tokens_job = job
        job.start()

    def token_index(self):
        """The open document's tokens, computed now if the background job has not finished."""
        index = self.view.token_index
        if index is None and self.document is not None:
            from desktop.nlp.tokens import TokenIndex

            index = TokenIndex.of(self.document.text, self.document.language)
            self._keep_tokens((self.document.content_hash, self.document.language), index)
            self.view.set_token_index(index)
        return index

    def _keep_tokens(self, key: tuple[str, str | None], index) -> None:
        self._tokens_kept[key] = index
        self._tokens_kept.move_to_end(key)
        while len(self._tokens_kept) > TOKENS_KEPT:
            self._tokens_kept.popitem(last=False)

    # --- layers ------------------------------------------------------------------------------

    def set_annotator(self, name: str, retry=None) -> bool:
        """Annotate as someone else (Preferences): reload what the view shows. A database
        that cannot be written is reported with ``retry`` (default: this again), and one
        goes on as before."""
        try:
            annotator = self.store.ensure_annotator(name)
        except StoreError as exc:
            self.report_write_failure(
                exc,
                f"You still annotate as {self.annotator.name}.",
                retry or (lambda: self.set_annotator(name)),
            )
            return False
        self.annotator = annotator
        self.store.set_actor(annotator.name)  # the history records changes as them now
        self.editing = self.annotator
        self.layers = [Layer(self.annotator, "own", 0)]
        self.undo_stack.clear()
        self.layersChanged.emit()
        self.reload_spans()
        return True

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

    def reload_spans(self) -> bool:
        if self.document is not None:
            try:
                spans = self._layer_spans()
            except StoreError as exc:
                self.report_read_failure(
                    exc, "The spans shown may be out of date.", self.reload_spans
                )
                return False
            self.view.set_spans(spans)
            self.all_spans_shown = True
            self.spansLoaded.emit()
        return True

    # --- labels ------------------------------------------------------------------------------

    def reload_labels(self) -> bool:
        try:
            labels = self.store.labels()
        except StoreError as exc:
            self.report_read_failure(
                exc, "The labels shown may be out of date.", self.reload_labels
            )
            return False
        self.labels = labels
        self.view.set_labels(self.labels)
        self.labelsChanged.emit(self.labels)
        return self.reload_spans()

    def label(self, label_id: int) -> LabelRecord | None:
        return next((label for label in self.labels if label.id == label_id), None)

    def label_by_name(self, name: str) -> LabelRecord | None:
        return next((label for label in self.labels if label.name.lower() == name.lower()), None)

    # --- edits -------------------------------------------------------------------------------

    def execute(self, command: Command) -> bool:
        """Apply a command (committed before this returns), show it, and put it on the undo
        stack. A refusal or a database that cannot be written is reported and leaves
        everything as it was: nothing is pushed, and the view keeps the database's state."""
        try:
            if self.before_edit is not None:
                self.before_edit()
            change = command.apply()
        except StoreError as exc:
            if not self.show_conflict(command, "apply", exc):
                self.report_write_failure(exc, not_done(command), lambda: self.execute(command))
            return False
        self.undo_stack.push(
            StoreUndoCommand(command, self.undo_stack, self.apply_change, self.report_step_failure)
        )
        self.apply_change(change)
        return True

    def report_step_failure(self, undo_command: QUndoCommand, step: str, exc: Exception) -> None:
        """An undo or redo failed. A database that could not be written left the command
        where it was on the stack, to be tried again; a refusal dropped it."""
        text = undo_command.text()
        if self.show_conflict(getattr(undo_command, "command", None), step, exc):
            return
        if not isinstance(exc, UnavailableError):
            self.failure.emit(
                Failure(
                    f"Could not {step} “{text}”: {_sentence(str(exc))} "
                    "It was taken off the undo stack."
                )
            )
            return
        self.fresh_connections()
        cause, detail = split_cause(str(exc))
        if step == "undo":
            headline, outcome = "Not undone", f"“{text}” is still in place."
        else:
            headline, outcome = "Not redone", f"“{text}” is still undone."
        self.failure.emit(
            Failure(
                f"{headline}: {cause}. {outcome}",
                detail,
                outcome,
                retry=lambda: self._retry_step(undo_command, step),
                watch=exc.retry,
            )
        )

    def show_conflict(self, command: Command | None, step: str, exc: Exception) -> bool:
        """A step refused because a colleague changed a span first: show both versions and
        let the analyst choose (desktop/ui/conflict_dialog.py), once the undo stack is done
        moving. False when the refusal is about no span this window can show."""
        if not isinstance(exc, ConflictError) or exc.span_uuid is None or command is None:
            return False
        intents = conflicts.step_intents(command, step)
        if not intents:
            return False
        QTimer.singleShot(0, self, lambda: self._resolve_conflict(command, step, intents, exc))
        return True

    def _resolve_conflict(self, command: Command, step: str, intents, exc: ConflictError) -> None:
        from desktop.ui.conflict_dialog import EDIT, MINE, ConflictDialog

        action = command.text if step != "undo" else f"Undo {command.text}"
        document_id = intents[0].document_id
        try:
            changed = conflicts.span_conflicts(self.store, intents, exc)
            now = conflicts.current_change(self.store, intents)
            if self.document is not None and self.document.id == document_id:
                text = self.document.text
            else:
                text = self.store.document(document_id).text
        except StoreError as read_exc:
            self.report_read_failure(read_exc, f"“{action}” was not saved.", None)
            return
        if now is not None and self.document is not None and self.document.id == document_id:
            self._redraw_spans(now)  # theirs, whatever is chosen
            self.changed.emit(now)
        choice, edited = MINE, None
        if changed:
            dialog = ConflictDialog(
                changed, self.labels, text, action, len(intents), parent=self.view.window()
            )
            dialog.exec()
            choice = dialog.choice
            if choice == EDIT:
                edited = {dialog.edited_uuid: dialog.edited}
            dialog.deleteLater()
        # else every span is as the step expected, or deleted as it would have deleted it
        # (by a colleague who did the same): the rest of it is made with nothing to choose.
        if choice not in (MINE, EDIT):
            self.message.emit(f"Kept their version: “{action}” was not made", 5000)
            return
        try:
            again = conflicts.on_top(
                self.store, intents, f"{action} (on their version)", edited=edited
            )
        except StoreError as read_exc:
            self.report_read_failure(read_exc, f"“{action}” was not saved.", None)
            return
        if again is None:
            self.message.emit("Their version is already what you wanted: nothing to write", 5000)
            return
        self.execute(again)

    def _retry_step(self, undo_command: QUndoCommand, step: str) -> bool:
        """Undo (or redo) again, if the command is still next in that direction."""
        stack = self.undo_stack
        position = stack.index() - 1 if step == "undo" else stack.index()
        if not 0 <= position < stack.count() or stack.command(position) is not undo_command:
            self.failed.emit(f"“{undo_command.text()}” is no longer next to {step}")
            return False
        if step == "undo":
            stack.undo()
            done = stack.index()  # where an undone command stands
        else:
            stack.redo()
            done = stack.index() - 1
        # A failure left the command where it was, or took it off the stack.
        return 0 <= done < stack.count() and stack.command(done) is undo_command

    def retry(self, failure: Failure) -> bool:
        """Run a failed action again, on fresh connections."""
        if failure.retry is None:
            return False
        self.fresh_connections()
        return failure.retry()

    def answers(self) -> str:
        """Whether the database answers: "" if so, else why not. Safe off the GUI thread."""
        try:
            self.store.ping()
        except StoreError as exc:
            return str(exc)
        finally:
            self.fresh_connections()  # the next attempt must not get the one asked with
        return ""

    def fresh_connections(self) -> None:
        """Close the connections kept for reuse: one opened while the file was read-only,
        or while the server refused writes, would stay so after the cause is gone."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:"):
            self.store.engine.dispose()  # an in-memory database would go with its connection

    def report_write_failure(self, exc: StoreError, outcome: str, retry) -> None:
        """Say that a write failed and what became of the action; offer ``retry`` (which
        returns whether it worked) when the database itself failed."""
        if isinstance(exc, UnavailableError):
            self.fresh_connections()
            cause, detail = split_cause(str(exc))
            self.failure.emit(
                Failure(f"Not saved: {cause}. {outcome}", detail, outcome, retry, watch=exc.retry)
            )
        else:
            self.failure.emit(Failure(f"Not saved: {_sentence(str(exc))} {outcome}"))

    def report_read_failure(self, exc: StoreError, outcome: str, retry) -> None:
        """Say that the project could not be read, and what the analyst sees meanwhile."""
        cause, detail = str(exc), ""
        if isinstance(exc, UnavailableError):
            self.fresh_connections()
            cause, detail = split_cause(cause)
        again = retry if isinstance(exc, UnavailableError) else None
        watch = isinstance(exc, UnavailableError) and exc.retry
        self.failure.emit(
            Failure(
                f"Could not read the project: {cause}. {outcome}", detail, outcome, again, watch
            )
        )

    def actor(self, entity_uuid: str | None) -> EntityRecord | None:
        """The canonical actor with this uuid (read once, until actors change); None when
        there is none or the database cannot be read."""
        if entity_uuid is None:
            return None
        if entity_uuid not in self._actors:
            try:
                self._actors[entity_uuid] = self.store.entity(entity_uuid)
            except StoreError:
                return None
        return self._actors[entity_uuid]

    def apply_change(self, change: Change | LabelChange | ActorChange) -> None:
        """Redraw after an edit, undo or redo; an undo on another document opens it (but
        not one across the corpus, which may touch hundreds)."""
        if isinstance(change, LabelChange):
            self.reload_labels()
            return
        if isinstance(change, ActorChange):
            self._apply_actor_change(change)
            return
        if isinstance(getattr(change, "changes", None), list):
            self._apply_corpus_change(change)
            return
        if self.document is None or change.document_id != self.document.id:
            self.open_document(change.document_id)
        if self._changes_while_loading is not None:
            self._changes_while_loading.append(change)
        self._redraw_spans(change)
        focus = (change.added + change.updated)[-1:] if (change.added or change.updated) else []
        if focus and self.shown(focus[0]):
            self.view.select_span(focus[0].uuid)
        self.changed.emit(change)

    def show_change(self, change: Change) -> None:
        """Redraw a change a colleague made to the open document: as :meth:`apply_change`,
        but the selection, the scroll position and the undo stack stay as they are."""
        if self.document is None or change.document_id != self.document.id:
            return
        if self._changes_while_loading is not None:
            self._changes_while_loading.append(change)
        self._redraw_spans(change)
        self.changed.emit(change)

    def _apply_corpus_change(self, change) -> None:
        """An edit across documents (a desktop.corpus.search.CorpusChange: search hits
        tagged, or that undone): the open document's part is redrawn, and each document's
        part is announced, without opening any of them."""
        document = self.document
        for part in change.changes:
            if document is not None and part.document_id == document.id:
                if self._changes_while_loading is not None:
                    self._changes_while_loading.append(part)
                self._redraw_spans(part)
            self.changed.emit(part)

    def _apply_actor_change(self, change: ActorChange) -> None:
        """An edit of actors: the spans it relinked in the open document are read again
        and redrawn (they look different linked and unlinked, and their versions moved on);
        spans elsewhere are read when their document opens."""
        self._actors.clear()
        document = self.document
        relinked = [
            uuid for uuid, document_id in change.spans if document and document_id == document.id
        ]
        if document is not None and relinked:
            try:
                records = self.store.spans_by_uuid(relinked)
            except StoreError as exc:
                self.report_read_failure(
                    exc, "The spans shown may not show their actors.", self.reload_spans
                )
                records = None
            if records is not None:
                span_change = Change(document.id, updated=records)
                if self._changes_while_loading is not None:
                    self._changes_while_loading.append(span_change)
                self._redraw_spans(span_change)
                self.changed.emit(span_change)
        self.actorsChanged.emit(change)

    def _redraw_spans(self, change: Change) -> None:
        for record in change.added + change.updated:
            if self.shown(record):
                self.view.put_span(record, self.style_of(record))
            else:
                self.view.remove_span(record.uuid)
        for span_uuid in change.removed:
            self.view.remove_span(span_uuid)

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

    def add_suggestions(self, spans: list[NewSpan]) -> bool:
        """Write suggestions for the open document (used by suggestion jobs)."""
        if self.document is None:
            return False
        try:
            added = self.store.add_spans(self.document.id, spans)
        except StoreError as exc:
            self.report_write_failure(
                exc, "The suggestions were not added.", lambda: self.add_suggestions(spans)
            )
            return False
        self.apply_change(Change(self.document.id, added=added))
        return True


def _with_changes(
    relations: list[RelationRecord] | None, changes: list[Change]
) -> list[RelationRecord] | None:
    """Relations read before (or after) some edits, as they stand after them."""
    if relations is None or not any(c.relations_added or c.relations_removed for c in changes):
        return relations
    by_uuid = {relation.uuid: relation for relation in relations}
    for change in changes:
        for relation_uuid in change.relations_removed:
            by_uuid.pop(relation_uuid, None)
        for relation in change.relations_added:
            by_uuid[relation.uuid] = relation
    return sorted(by_uuid.values(), key=lambda relation: relation.id)


# What became of an action that was not saved, in the analyst's words.
NOT_DONE = {
    "AddSpan": "Your tag was not added.",
    "DeleteSpans": "Nothing was deleted.",
    "AddRelation": "The link was not made.",
    "DeleteRelation": "The link was not removed.",
    "SetDocumentStatus": "Your progress on the document was not changed.",
    "AddLabel": "The label was not added.",
    "UpdateLabel": "The label was not changed.",
    "ReorderLabels": "The labels keep their order.",
    "RemoveLabel": "The label was not removed.",
    "ChangeLabelSchema": "The label's fields and links were not changed.",
    "TagHits": "None of the hits was tagged.",
}


def not_done(command: Command) -> str:
    """What became of a command that was not applied."""
    known = NOT_DONE.get(type(command).__name__)
    return known or f"Your change was not made ({command.text})."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
