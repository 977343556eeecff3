"""Linking actor spans to canonical actors in the window, as a person does: select an Actor
span, Ctrl+K, type, ↓, Enter; Ctrl+Shift+K for a new actor; unlink from the picker and the
span panel. Each step is checked in the database, undone with Ctrl+Z and redone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QApplication

from db.store import Store
from tests.ui.driving import CTRL, SHIFT, click, hover, press
from tests.ui.test_annotating import FIRST, ready
from tests.ui.test_records import select, tag

REDO = CTRL | SHIFT
MUHANDES = "Abu Mahdi al-Muhandes"  # as the first article writes him
SAADI = "Abu Baqir al-Saadi"
CENTCOM = "US Central Command"


def make_actors(location: str) -> dict[str, str]:
    """The canonical actors the tests link to: name -> uuid."""
    with Store.open(location) as store:
        actors = [
            store.add_entity(
                "Abu Mahdi al-Muhandis",
                label="Actor",
                aliases=["Jamal Jaafar al-Ibrahimi"],
                type="person",
            ),
            store.add_entity("Abu Baqir al-Saadi", label="Actor", aliases=["Abu Baqer"]),
            store.add_entity(
                "Kataib Hezbollah", label="Actor", aliases=["Kata’ib Hezbollah"], type="militia"
            ),
        ]
    return {actor.name: actor.uuid for actor in actors}


def links(location: str) -> dict[str, str | None]:
    """My spans' texts and the names of the actors they link to, read afresh."""
    with Store.open(location) as store:
        me = store.ensure_annotator("me")
        names = {entity.uuid: entity.name for entity in store.entities()}
        return {
            span.text: names.get(span.entity_uuid) if span.entity_uuid else None
            for document_id in store.document_ids()
            for span in store.spans(document_id, annotator_ids=[me.id])
        }


def actor_names(location: str) -> list[str]:
    with Store.open(location) as store:
        return sorted(entity.name for entity in store.entities())


def marks(view) -> dict[str, str]:
    """Span text -> the actor mark the view painted ("linked" dot, "unlinked" ring)."""
    view.viewport().repaint()
    texts = {span.uuid: span.record.text for span in view.spans()}
    return {texts[uuid]: mark for uuid, mark in view.drawn_actor_marks().items()}


def hovered(view, offset: int) -> str:
    """The hover text at an offset, as it reads (no markup, spaces and hyphens plain)."""
    text = QTextDocumentFragment.fromHtml(hover(view, offset)).toPlainText()
    return text.replace("\u00a0", " ").replace("\u2011", "-")


def open_picker(qtbot, window):
    qtbot.keyClick(window.view, Qt.Key.Key_K, CTRL)
    picker = window.actor_links.picker
    qtbot.waitUntil(picker.isVisible)
    assert picker.query.hasFocus()
    return picker


def listed(picker) -> list[str]:
    model = picker.model
    return [model.actor(row).name for row in range(model.rowCount())]


def test_link_by_keys_then_undo_and_redo(qtbot, project, open_window):
    make_actors(project)
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, MUHANDES, Qt.Key.Key_A)
    tag(qtbot, view, "IRGC", Qt.Key.Key_A)
    select(qtbot, view, MUHANDES)
    assert links(project) == {MUHANDES: None, "IRGC": None}
    assert marks(view) == {MUHANDES: "unlinked", "IRGC": "unlinked"}
    line = window.spans.actor
    assert line.isVisible() and "none linked" in line.text.text()

    picker = open_picker(qtbot, window)
    # The span's own text, selected: typing replaces it. The nearest spelling comes first.
    assert picker.query.text() == MUHANDES and picker.query.selectedText() == MUHANDES
    assert listed(picker)[0] == "Abu Mahdi al-Muhandis"
    qtbot.keyClicks(picker.query, "abu")
    assert picker.query.text() == "abu"
    assert listed(picker)[:2] == ["Abu Baqir al-Saadi", "Abu Mahdi al-Muhandis"]
    assert picker.current_actor().name == "Abu Baqir al-Saadi"
    qtbot.keyClick(picker.query, Qt.Key.Key_Down)
    assert picker.current_actor().name == "Abu Mahdi al-Muhandis"
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    assert not picker.isVisible() and view.hasFocus()
    assert links(project) == {MUHANDES: "Abu Mahdi al-Muhandis", "IRGC": None}
    assert marks(view) == {MUHANDES: "linked", "IRGC": "unlinked"}
    assert "Actor: <b>Abu Mahdi al-Muhandis</b> (person)" in line.text.text()
    assert "Jamal Jaafar al-Ibrahimi" in line.text.text()
    assert "→ Abu Mahdi al-Muhandis (person)" in hovered(view, FIRST.index(MUHANDES) + 2)
    assert "no actor linked" in hovered(view, FIRST.index("IRGC") + 1)

    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert links(project) == {MUHANDES: None, "IRGC": None}
    assert marks(view) == {MUHANDES: "unlinked", "IRGC": "unlinked"}
    assert "none linked" in line.text.text()
    qtbot.keyClick(view, Qt.Key.Key_Z, REDO)
    assert links(project) == {MUHANDES: "Abu Mahdi al-Muhandis", "IRGC": None}
    assert marks(view) == {MUHANDES: "linked", "IRGC": "unlinked"}
    assert window.session.undo_stack.undoText() == (f"Link “{MUHANDES}” to “Abu Mahdi al-Muhandis”")


def test_a_new_actor_from_the_span_then_undo_and_redo(qtbot, project, open_window):
    made = make_actors(project)
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, CENTCOM, Qt.Key.Key_A)
    select(qtbot, view, CENTCOM)

    qtbot.keyClick(view, Qt.Key.Key_K, REDO)  # Ctrl+Shift+K
    assert links(project) == {CENTCOM: CENTCOM}
    assert actor_names(project) == sorted([*made, CENTCOM])
    assert marks(view) == {CENTCOM: "linked"}
    assert f"Actor: <b>{CENTCOM}</b>" in window.spans.actor.text.text()
    assert f"→ {CENTCOM}" in hovered(view, FIRST.index(CENTCOM) + 3)

    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the actor is gone, the span unlinked
    assert links(project) == {CENTCOM: None}
    assert actor_names(project) == sorted(made)
    assert marks(view) == {CENTCOM: "unlinked"}
    assert "no actor linked" in hovered(view, FIRST.index(CENTCOM) + 3)
    qtbot.keyClick(view, Qt.Key.Key_Z, REDO)
    assert links(project) == {CENTCOM: CENTCOM}
    assert actor_names(project) == sorted([*made, CENTCOM])

    # The new actor is in the picker at once, and Esc leaves everything as it was.
    picker = open_picker(qtbot, window)
    assert listed(picker)[0] == CENTCOM
    assert picker.model.data(picker.model.index(0, 0)).startswith("✓ ")
    qtbot.keyClick(picker.query, Qt.Key.Key_Escape)
    assert not picker.isVisible()
    assert links(project) == {CENTCOM: CENTCOM}

    # Once the picker has been used, actors changing make its ranking again in the
    # background: undoing the new actor leaves a ranking without it, ready for Ctrl+K.
    linking = window.actor_links
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert links(project) == {CENTCOM: None}
    assert "actor" not in linking._indexes
    qtbot.waitUntil(lambda: "actor" in linking._indexes)
    _index, ranked = linking._indexes["actor"]
    assert sorted(actor.name for actor in ranked.values()) == sorted(made)


def test_new_actor_and_unlink_in_the_picker_by_keys_and_buttons(qtbot, project, open_window):
    made = make_actors(project)
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, "Kataib Hezbollah", Qt.Key.Key_A)
    select(qtbot, view, "Kataib Hezbollah")
    stack = window.session.undo_stack

    picker = open_picker(qtbot, window)
    assert not picker.unlink.isVisible()  # nothing to unlink yet
    qtbot.keyClick(picker.query, Qt.Key.Key_N, CTRL)  # a new actor, not a new project
    assert not picker.isVisible()
    assert links(project) == {"Kataib Hezbollah": "Kataib Hezbollah"}
    assert len(actor_names(project)) == len(made) + 1  # a second Kataib Hezbollah
    steps = stack.index()

    picker = open_picker(qtbot, window)
    assert picker.unlink.isVisible()
    qtbot.keyClick(picker.query, Qt.Key.Key_Backspace, CTRL)
    assert not picker.isVisible()
    assert links(project) == {"Kataib Hezbollah": None}
    assert stack.index() == steps + 1

    picker = open_picker(qtbot, window)
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)  # the best match: one of the two
    linked = links(project)["Kataib Hezbollah"]
    assert linked == "Kataib Hezbollah"
    picker = open_picker(qtbot, window)
    press(qtbot, picker.unlink)
    assert links(project) == {"Kataib Hezbollah": None}
    picker = open_picker(qtbot, window)
    press(qtbot, picker.new)
    assert links(project) == {"Kataib Hezbollah": "Kataib Hezbollah"}
    assert len(actor_names(project)) == len(made) + 2

    # Each was one step: undone one by one, back to the start.
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the second new actor
    assert links(project) == {"Kataib Hezbollah": None}
    assert len(actor_names(project)) == len(made) + 1
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the unlink
    assert links(project) == {"Kataib Hezbollah": "Kataib Hezbollah"}
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the link
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the unlink by key
    assert links(project) == {"Kataib Hezbollah": "Kataib Hezbollah"}
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the first new actor
    assert links(project) == {"Kataib Hezbollah": None}
    assert actor_names(project) == sorted(made)


def test_the_span_panel_links_unlinks_and_makes_actors(qtbot, project, open_window):
    make_actors(project)
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, SAADI, Qt.Key.Key_A)
    select(qtbot, view, SAADI)
    line = window.spans.actor
    assert line.isVisible() and not line.unlink.isVisible()

    press(qtbot, line.link)
    picker = window.actor_links.picker
    qtbot.waitUntil(picker.isVisible)
    assert listed(picker)[0] == SAADI
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    assert links(project) == {SAADI: SAADI}
    assert line.unlink.isVisible() and "also Abu Baqer" in line.text.text()

    press(qtbot, line.unlink)
    assert links(project) == {SAADI: None}
    assert not line.unlink.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert links(project) == {SAADI: SAADI}
    qtbot.keyClick(view, Qt.Key.Key_Z, REDO)
    assert links(project) == {SAADI: None}

    press(qtbot, line.new)
    assert links(project) == {SAADI: SAADI}
    with Store.open(project) as store:
        assert [e.name for e in store.entities()].count(SAADI) == 2
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert links(project) == {SAADI: None}
    with Store.open(project) as store:
        assert [e.name for e in store.entities()].count(SAADI) == 1


def test_a_span_that_is_not_an_actor_is_left_alone(qtbot, project, open_window):
    make_actors(project)
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, "precision missile strike", Qt.Key.Key_E)
    select(qtbot, view, "precision missile strike")
    before = (links(project), actor_names(project), window.session.undo_stack.count())
    assert not window.spans.actor.isVisible()

    qtbot.keyClick(view, Qt.Key.Key_K, CTRL)
    QApplication.processEvents()
    assert not window.actor_links.picker.isVisible()
    assert "names no actor" in window.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key.Key_K, REDO)
    assert (links(project), actor_names(project), window.session.undo_stack.count()) == before
    assert marks(view) == {}  # an Event carries no actor mark

    qtbot.keyClick(view, Qt.Key.Key_Escape)  # nothing selected: the keys say what to do
    qtbot.keyClick(view, Qt.Key.Key_K, CTRL)
    assert "Select an Actor span first" in window.statusBar().currentMessage()
    assert (links(project), actor_names(project), window.session.undo_stack.count()) == before


def test_another_annotators_actor_spans_show_their_links_but_stay(qtbot, project, open_window):
    made = make_actors(project)
    with Store.open(project) as store:
        other = store.ensure_annotator("analyst_a")
        first = next(d for d in store.list_documents() if store.document(d.id).text == FIRST)
        theirs = sorted(
            (
                span
                for span in store.spans(first.id, annotator_ids=[other.id])
                if span.label == "Actor" and span.status == "accepted"
            ),
            key=lambda span: span.start,
        )
        assert len(theirs) >= 2
        store.update_spans([theirs[0]], entity_uuid=made["Kataib Hezbollah"])
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_L, REDO)  # the next layer view: analyst_a's spans
    qtbot.waitUntil(lambda: window.session.all_spans_shown)
    assert window.layer_chooser.current_title() == "analyst_a"
    shown = {span.record.uuid: span for span in view.spans()}
    assert shown[theirs[0].uuid].style == "other"
    painted = marks(view)
    assert painted[theirs[0].text] == "linked" and painted[theirs[1].text] == "unlinked"
    assert "→ Kataib Hezbollah (militia)" in hovered(view, theirs[0].start + 1)

    click(view, theirs[0].start + 1)
    assert view.selected_span().uuid == theirs[0].uuid
    assert "Actor: <b>Kataib Hezbollah</b>" in window.spans.actor.text.text()
    assert not window.spans.actor.link.isEnabled()  # read-only: shown, not changed
    qtbot.keyClick(view, Qt.Key.Key_K, CTRL)
    assert not window.actor_links.picker.isVisible()
    assert "Only your own spans" in window.failure_bar.text.text()
