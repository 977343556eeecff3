"""Opening a long document quickly: its relations are read with its spans off the GUI
thread, and what the analyst does while they load is not undone by that older read. The
window must show exactly what the database holds."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt, QThreadPool

from db.records import ImportBatch, NewDocument, NewRelation, NewSpan
from db.store import Store
from tests.ui.driving import click_row
from tests.ui.test_view_speed_paths import long_text, word_spans

ALT = Qt.KeyboardModifier.AltModifier


def first_words(text: str, count: int) -> list[tuple[int, int]]:
    """(start, end) of the first ``count`` words."""
    found, position = [], 0
    while len(found) < count:
        end = text.index(" ", position)
        found.append((position, end))
        position = end + 1
    return found


def project_with_relations(tmp_path, documents: int = 1) -> str:
    """Long documents that open on an event (first word) linked to an actor (fifth word),
    with an actor between them (third word) and many spans further on."""
    location = str(tmp_path / "relations.db")
    batch = []
    for number in range(documents):
        text = f"Document{number} " + long_text(seed=number + 1)
        words = first_words(text, 5)
        head = NewSpan("Event", *words[0], "me", origin="manual")
        actors = [NewSpan("Actor", *words[i], "me", origin="manual") for i in (2, 4)]
        rest = [s for s in word_spans(text, 3000, "me", seed=number) if s.start > words[4][1]]
        for serial, span in enumerate([head, *actors, *rest]):
            span.uuid = f"00000000-0000-4000-8{number:03d}-{serial:012d}"
        relations = [NewRelation("agent", head.uuid, actors[1].uuid, "me")]
        relations += [
            NewRelation("agent", e.uuid, a.uuid, "me")
            for e, a in zip(
                [s for s in rest if s.label == "Event"][:40],
                [s for s in rest if s.label == "Actor"][:40],
                strict=True,
            )
        ]
        batch.append(
            NewDocument(
                text=text,
                title=f"Long {number}",
                spans=[head, *actors, *rest],
                relations=relations,
            )
        )
    with Store.open(location) as store:
        store.import_batch(ImportBatch(documents=batch))
    return location


def stored(location: str, document_id: int):
    with Store.open(location) as store:
        me = store.ensure_annotator("me")
        spans = {s.uuid for s in store.spans(document_id, annotator_ids=[me.id])}
        relations = {r.uuid: r for r in store.relations(document_id)}
    return spans, relations


def shown(window):
    """(span uuids drawn, span uuids in the table, relations drawn by uuid)."""
    model = window.spans.model
    return (
        {s.uuid for s in window.view.spans()},
        {model.span(row).uuid for row in range(model.rowCount())},
        {r.uuid: r for r in window.view.arcs.all()},
    )


def click_document(qtbot, window, document_id: int) -> None:
    documents = window.documents
    source_row = documents.model.row_of(document_id)
    row = documents.proxy.mapFromSource(documents.model.index(source_row, 0)).row()
    click_row(qtbot, documents.table, row)


def open_read_not_shown(qtbot, window, document_id: int) -> None:
    """Open the document and let its spans and relations be read in the background, but
    deliver no event after that read: what is done next postdates it, and comes before the
    window takes what was read."""
    pool = QThreadPool.globalInstance()
    threads = pool.maxThreadCount()
    held = threading.Event()
    assert pool.waitForDone(20000)
    pool.setMaxThreadCount(1)
    pool.start(held.wait)  # the background read waits behind this
    try:
        click_document(qtbot, window, document_id)
        assert window.session.document.id == document_id
        qtbot.waitUntil(window.session.jobs_running, timeout=20000)
    finally:
        held.set()
        pool.setMaxThreadCount(threads)
    deadline = time.monotonic() + 20
    while pool.activeThreadCount():
        assert time.monotonic() < deadline, "the spans were not read"
        time.sleep(0.01)
    assert not window.session.all_spans_shown


def test_relations_are_drawn_with_the_spans_and_match_the_database(qtbot, tmp_path, open_window):
    location = project_with_relations(tmp_path, documents=2)
    window = open_window(location, annotator="me")
    qtbot.waitUntil(lambda: window.session.document is not None, timeout=20000)
    with Store.open(location) as store:  # the one the window did not open by itself
        [document_id] = set(store.document_ids()) - {window.session.document.id}
    click_document(qtbot, window, document_id)
    qtbot.waitUntil(lambda: window.session.all_spans_shown, timeout=20000)
    spans, relations = stored(location, document_id)
    drawn, table, arcs = shown(window)
    assert drawn == table == spans
    assert arcs == relations and len(arcs) == 41
    assert window.session.loaded_relations is None  # only while spansLoaded is emitted
    # The span table knows which heads have their agent.
    model = window.spans.model
    heads = {r.head_uuid for r in relations.values()}
    rows = {model.span(row).uuid: row for row in range(model.rowCount())}
    assert heads <= set(rows)


def test_a_relation_made_while_the_spans_load_stays(qtbot, tmp_path, open_window):
    location = project_with_relations(tmp_path, documents=2)
    window = open_window(location, annotator="me")
    qtbot.waitUntil(lambda: window.session.document is not None, timeout=20000)
    with Store.open(location) as store:  # the one the window did not open by itself
        [document_id] = set(store.document_ids()) - {window.session.document.id}
    open_read_not_shown(qtbot, window, document_id)
    view = window.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)  # the first span: the event
    assert view.selected_span().label == "Event"
    qtbot.keyClick(view, Qt.Key.Key_G, ALT)  # its agent: the nearest actor
    qtbot.keyClick(window.spans.record.picker, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: window.session.all_spans_shown, timeout=20000)
    spans, relations = stored(location, document_id)
    assert len(relations) == 42
    drawn, table, arcs = shown(window)
    assert drawn == table == spans
    assert arcs == relations


def test_a_span_deleted_while_the_spans_load_stays_deleted(qtbot, tmp_path, open_window):
    location = project_with_relations(tmp_path, documents=2)
    window = open_window(location, annotator="me")
    qtbot.waitUntil(lambda: window.session.document is not None, timeout=20000)
    with Store.open(location) as store:  # the one the window did not open by itself
        [document_id] = set(store.document_ids()) - {window.session.document.id}
    before, _ = stored(location, document_id)
    open_read_not_shown(qtbot, window, document_id)
    view = window.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    event = view.selected_span()
    assert event.label == "Event"
    qtbot.keyClick(view, Qt.Key.Key_Delete)  # the event and its agent relation
    qtbot.waitUntil(lambda: window.session.all_spans_shown, timeout=20000)
    spans, relations = stored(location, document_id)
    assert spans == before - {event.uuid} and len(relations) == 40
    drawn, table, arcs = shown(window)
    assert drawn == table == spans
    assert arcs == relations
    # Undo brings both back, drawn.
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    spans, relations = stored(location, document_id)
    assert spans == before and len(relations) == 41
    drawn, table, arcs = shown(window)
    assert drawn == table == spans and arcs == relations


def test_moving_between_documents_quickly_shows_the_last_one(qtbot, tmp_path, open_window):
    location = project_with_relations(tmp_path, documents=3)
    window = open_window(location, annotator="me")
    with Store.open(location) as store:
        first, second, third = store.document_ids()
    for document_id in (first, second, third, first, third, second):
        click_document(qtbot, window, document_id)  # no waiting for the spans
    qtbot.waitUntil(lambda: window.session.all_spans_shown, timeout=20000)
    qtbot.waitUntil(lambda: not window.session.jobs_running(), timeout=20000)
    assert window.session.document.id == second
    spans, relations = stored(location, second)
    drawn, table, arcs = shown(window)
    assert drawn == table == spans
    assert arcs == relations and len(arcs) == 41
