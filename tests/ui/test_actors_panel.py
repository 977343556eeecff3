"""The Actors panel, driven as a person drives it: filter, select, read the mentions and open
one; rename, aliases (one refused), type and description; merge, take an alias or a mention
out, delete. After each step the database is checked, Ctrl+Z restores it exactly and
Ctrl+Shift+Z makes the step again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.records import ActorSummary
from db.store import Store
from desktop.review import actors as edits
from desktop.ui.actors_panel import NAME, ActorTableModel
from tests.ui.driving import (
    LEFT,
    activate,
    choose_in_combo,
    choose_menu_item,
    click,
    click_row,
    drag,
    press,
    type_into,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
REDO = CTRL | SHIFT

SAADI = "Abu Baqir al-Saadi"
SAADI_SPELLINGS = ("Abu Baqir al-Saadi", "Abu Baqer", "Wisam Mohammed Saber al-Saedi")
KATAIB = "Kataib Hezbollah"
MUHANDIS = "Abu Mahdi al-Muhandis"
SOLEIMANI = "Qasem Soleimani"


def spans_written(store: Store, *texts: str) -> list[str]:
    """The Actor spans (of both analysts) written as one of ``texts``."""
    found = []
    for document_id in store.document_ids():
        found += [
            span.uuid
            for span in store.spans(document_id)
            if span.label == "Actor" and span.text in texts
        ]
    return sorted(found)


def seed_actors(location: str) -> dict[str, str]:
    """Four actors with their mentions linked, made as the command line or an import would;
    returns their uuids by name."""
    with Store.open(location) as store:
        made = [
            edits.create_actor(
                store,
                SAADI,
                span_uuids=spans_written(store, *SAADI_SPELLINGS),
                aliases=SAADI_SPELLINGS[1:],
                type="person",
            ),
            edits.create_actor(
                store,
                KATAIB,
                span_uuids=spans_written(store, KATAIB),
                aliases=["Kata’ib Hezbollah"],
                type="armed group",
            ),
            edits.create_actor(
                store,
                MUHANDIS,
                span_uuids=spans_written(store, "Abu Mahdi al-Muhandes"),
                aliases=["Abū Mahdī"],
            ),
            edits.create_actor(store, SOLEIMANI, span_uuids=spans_written(store, SOLEIMANI)),
        ]
        for command in made:
            command.apply()
        return {actor.name: actor.uuid for actor in store.actor_summaries()}


def snapshot(location: str):
    """Every actor as the database holds it: name, type, description, aliases, and the
    spans linking to it; with the counts the panel shows."""
    with Store.open(location) as store:
        summaries = store.actor_summaries()
        states = store.entity_states([summary.uuid for summary in summaries])
        return sorted(
            (
                state.entity.name,
                state.entity.type,
                state.entity.description,
                state.entity.aliases,
                state.span_uuids,
            )
            for state in states
        ), [(s.name, s.mentions, s.documents) for s in summaries]


def actors_of(location: str) -> dict[str, tuple]:
    """name: (type, aliases, number of spans linked)."""
    return {
        name: (kind, aliases, len(spans))
        for name, kind, _description, aliases, spans in snapshot(location)[0]
    }


def open_panel(qtbot, window):
    """Ctrl+Shift+A: the Actors dock, the keyboard in its filter."""
    qtbot.keyClick(window.view, Qt.Key.Key_A, CTRL | SHIFT)
    panel = window.actors
    qtbot.waitUntil(lambda: panel.isVisible() and panel.filter.hasFocus())
    return panel


def names_listed(panel) -> list[str]:
    return [panel.model.actor_at(row).name for row in range(panel.model.rowCount())]


def select_actor(qtbot, panel, name: str, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    row = names_listed(panel).index(name)
    index = panel.model.index(row, NAME)
    panel.table.scrollTo(index)
    qtbot.mouseClick(
        panel.table.viewport(), LEFT, modifiers, panel.table.visualRect(index).center()
    )
    QApplication.processEvents()


def undo(qtbot, panel) -> None:
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)


def redo(qtbot, panel) -> None:
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, REDO)


def test_filter_select_read_the_mentions_and_open_one(qtbot, project, open_window):
    seed_actors(project)
    window = open_window(project)
    assert window.actors_dock._panel is None  # built when first shown, not before the paint
    choose_menu_item(qtbot, window, "View", "Actors")  # shown from the menu
    assert window.actors_dock._panel is not None
    assert window.actors.isVisible()
    choose_menu_item(qtbot, window, "View", "Actors")  # and hidden again
    assert not window.actors.isVisible()
    choose_menu_item(qtbot, window, "View", "Find an actor")
    panel = window.actors
    assert panel.isVisible() and panel.filter.hasFocus()
    assert names_listed(panel) == [SAADI, MUHANDIS, KATAIB, SOLEIMANI]
    assert panel.tabs.tabText(0) == "Actors (4)"

    qtbot.keyClicks(panel.filter, "SAEDI")  # an alias, in another case
    assert names_listed(panel) == [SAADI]
    type_into(qtbot, panel.filter, "kata'ib")  # the apostrophe as typed, not as written
    assert names_listed(panel) == [KATAIB]
    type_into(qtbot, panel.filter, "abu mahdi")  # written Abū Mahdī
    assert names_listed(panel) == [MUHANDIS]
    assert panel.count.text() == "1 of 4"
    type_into(qtbot, panel.filter, "abu")
    assert names_listed(panel) == [SAADI, MUHANDIS]
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)  # to the list: the first is current
    assert panel.table.hasFocus()
    assert panel.current_actor().name == SAADI
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.current_actor().name == MUHANDIS
    qtbot.keyClick(panel.table, Qt.Key.Key_Up)
    assert panel.current_actor().name == SAADI

    # Its mentions: six spans (both analysts) in two documents, each in its context.
    mentions = panel.mention_model
    assert mentions.rowCount() == 6
    assert "6 mention(s) in 2 document(s)" in panel.mentions_title.text()
    texts = [mentions.mention_at(row).text for row in range(6)]
    assert sorted(set(texts)) == sorted(SAADI_SPELLINGS)
    row = next(
        r
        for r in range(6)
        if mentions.mention_at(r).text == "Abu Baqer"
        and mentions.mention_at(r).annotator == "analyst_a"
    )
    mention = mentions.mention_at(row)
    assert mentions.index(row, 2).data() == "Abu Baqer"
    assert mentions.index(row, 3).data().startswith(") was")
    assert mentions.index(row, 1).data().endswith("Saber al-Saedi (aka ")

    # Enter opens that document at the mention, the span selected.
    with Store.open(project) as store:
        document = store.document(mention.document_id)
    assert window.session.document.id != document.id
    click_row(qtbot, panel.mentions, row)
    qtbot.keyClick(panel.mentions, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.document.id == document.id)
    qtbot.waitUntil(lambda: window.view.selected_span() is not None)
    assert window.view.selected_span().uuid == mention.span_uuid
    assert document.text[mention.start : mention.end] == "Abu Baqer"

    # The button does the same, for a mention in the other document.
    first = next(
        r
        for r in range(6)
        if mentions.mention_at(r).document_id != document.id
        and mentions.mention_at(r).annotator == "analyst_a"
    )
    click_row(qtbot, panel.mentions, first)
    press(qtbot, panel.open_button)
    wanted = mentions.mention_at(first)
    qtbot.waitUntil(lambda: window.session.document.id == wanted.document_id)
    qtbot.waitUntil(lambda: window.view.selected_span() is not None)
    assert window.view.selected_span().uuid == wanted.span_uuid


def test_rename_aliases_type_and_description_each_undone_and_redone(qtbot, project, open_window):
    seed_actors(project)
    window = open_window(project)
    panel = open_panel(qtbot, window)
    select_actor(qtbot, panel, SAADI)
    editor = panel.editor
    before = snapshot(project)

    # F2: the name field; Esc puts the name back and returns to the list.
    qtbot.keyClick(panel.table, Qt.Key.Key_F2)
    assert editor.name.hasFocus()
    qtbot.keyClicks(editor.name, "Somebody else")
    qtbot.keyClick(editor.name, Qt.Key.Key_Escape)
    assert editor.name.text() == SAADI and panel.table.hasFocus()
    assert snapshot(project) == before

    qtbot.keyClick(panel.table, Qt.Key.Key_F2)
    qtbot.keyClicks(editor.name, "Abu Bakr al-Saadi")
    qtbot.keyClick(editor.name, Qt.Key.Key_Return)
    renamed = actors_of(project)
    assert "Abu Bakr al-Saadi" in renamed and SAADI not in renamed
    assert renamed["Abu Bakr al-Saadi"] == (
        "person",
        ("Abu Baqer", "Wisam Mohammed Saber al-Saedi"),
        6,
    )
    assert panel.current_actor().name == "Abu Bakr al-Saadi"  # still the one selected
    undo(qtbot, panel)
    assert snapshot(project) == before
    assert panel.current_actor().name == SAADI
    redo(qtbot, panel)
    assert "Abu Bakr al-Saadi" in actors_of(project)
    undo(qtbot, panel)
    assert snapshot(project) == before

    # An alias added with the button; one claimed by another actor is refused.
    click_row(qtbot, panel.table, names_listed(panel).index(SAADI))
    qtbot.keyClicks(editor.new_alias, "Abu Bakr")
    press(qtbot, editor.add_alias)
    assert actors_of(project)[SAADI][1] == (
        "Abu Bakr",
        "Abu Baqer",
        "Wisam Mohammed Saber al-Saedi",
    )
    assert editor.new_alias.text() == ""
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert actors_of(project)[SAADI][1][0] == "Abu Bakr"
    undo(qtbot, panel)

    QApplication.clipboard().setText("Kata’ib Hezbollah")  # pasted: not a key's letter
    qtbot.keyClick(editor.new_alias, Qt.Key.Key_V, CTRL)
    qtbot.keyClick(editor.new_alias, Qt.Key.Key_Return)
    assert "already belongs to “Kataib Hezbollah”" in window.last_error
    assert window.failure_bar.isVisible()
    assert snapshot(project) == before
    assert [editor.aliases.item(i).text() for i in range(editor.aliases.count())] == list(
        SAADI_SPELLINGS[1:]
    )

    # An alias removed.
    click_row(qtbot, editor.aliases, 0)
    press(qtbot, editor.remove_alias)
    assert actors_of(project)[SAADI][1] == ("Wisam Mohammed Saber al-Saedi",)
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert actors_of(project)[SAADI][1] == ("Wisam Mohammed Saber al-Saedi",)
    undo(qtbot, panel)

    # The type, from the Actor label's choices.
    choose_in_combo(qtbot, editor.type, "armed group")
    assert actors_of(project)[SAADI][0] == "armed group"
    assert panel.model.index(names_listed(panel).index(SAADI), 1).data() == "armed group"
    choose_in_combo(qtbot, editor.type, "—")
    assert actors_of(project)[SAADI][0] is None
    activate(qtbot, window)  # the combo's list took the keyboard with it
    undo(qtbot, panel)
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert actors_of(project)[SAADI][0] == "armed group"
    undo(qtbot, panel)

    # The description.
    qtbot.mouseClick(editor.description, LEFT)
    qtbot.keyClicks(editor.description, "Kataib Hezbollah commander")
    qtbot.keyClick(editor.description, Qt.Key.Key_Return)
    with Store.open(project) as store:
        assert store.entity(panel.current_actor().uuid).description == (
            "Kataib Hezbollah commander"
        )
    assert (
        panel.model.index(names_listed(panel).index(SAADI), NAME).data(Qt.ItemDataRole.ToolTipRole)
        == "Kataib Hezbollah commander"
    )
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert snapshot(project) != before


def test_merge_take_out_and_delete_each_undone_and_redone(qtbot, project, open_window):
    uuids = seed_actors(project)
    window = open_window(project)
    panel = open_panel(qtbot, window)
    before = snapshot(project)

    # Merge: Soleimani first, then Muhandis with Ctrl+click; Ctrl+M keeps the first.
    select_actor(qtbot, panel, SOLEIMANI)
    select_actor(qtbot, panel, MUHANDIS, CTRL)
    assert panel.selected_uuids() == [uuids[SOLEIMANI], uuids[MUHANDIS]]
    qtbot.keyClick(panel.table, Qt.Key.Key_M, CTRL)
    merged = actors_of(project)
    assert MUHANDIS not in merged
    assert merged[SOLEIMANI] == (None, ("Abu Mahdi al-Muhandis", "Abū Mahdī"), 3)
    assert panel.current_actor().name == SOLEIMANI and names_listed(panel) == [
        SAADI,
        KATAIB,
        SOLEIMANI,
    ]
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert MUHANDIS not in actors_of(project)
    undo(qtbot, panel)
    assert snapshot(project) == before

    # The button, the other way round: Kataib Hezbollah keeps its name and type.
    select_actor(qtbot, panel, KATAIB)
    select_actor(qtbot, panel, SOLEIMANI, CTRL)
    press(qtbot, panel.merge_button)
    assert actors_of(project)[KATAIB] == (
        "armed group",
        ("Kata’ib Hezbollah", SOLEIMANI),
        6,
    )
    undo(qtbot, panel)
    assert snapshot(project) == before

    # Take an alias out: the mentions written that way go with it.
    select_actor(qtbot, panel, SAADI)
    editor = panel.editor
    aliases = [editor.aliases.item(i).text() for i in range(editor.aliases.count())]
    click_row(qtbot, editor.aliases, aliases.index("Wisam Mohammed Saber al-Saedi"))
    press(qtbot, editor.take_alias_out)
    split = actors_of(project)
    assert split[SAADI] == ("person", ("Abu Baqer",), 4)
    assert split["Wisam Mohammed Saber al-Saedi"] == ("person", (), 2)
    assert panel.current_actor().name == SAADI
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert actors_of(project)["Wisam Mohammed Saber al-Saedi"] == ("person", (), 2)
    undo(qtbot, panel)
    assert snapshot(project) == before

    # Take one mention out: a new actor named by its text, that span alone linked to it.
    mentions = panel.mention_model
    row = next(r for r in range(mentions.rowCount()) if mentions.mention_at(r).text == "Abu Baqer")
    moved = mentions.mention_at(row).span_uuid
    click_row(qtbot, panel.mentions, row)
    press(qtbot, panel.take_mention_out)
    state = actors_of(project)
    assert state[SAADI][2] == 5 and state["Abu Baqer"] == ("person", (), 1)
    with Store.open(project) as store:
        assert store.entity(store.span(moved).entity_uuid).name == "Abu Baqer"
    assert "Abu Baqer" in names_listed(panel)
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert actors_of(project)["Abu Baqer"] == ("person", (), 1)
    undo(qtbot, panel)
    assert snapshot(project) == before

    # Delete (the key, then the button): the spans stay, unlinked.
    select_actor(qtbot, panel, KATAIB)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert KATAIB not in actors_of(project)
    with Store.open(project) as store:
        kept = spans_written(store, KATAIB)
        assert len(kept) == 4 and store.linked_entities(kept) == {}
    assert panel.current_actor().name == SOLEIMANI  # the next row
    undo(qtbot, panel)
    assert snapshot(project) == before
    select_actor(qtbot, panel, KATAIB)
    press(qtbot, panel.delete_button)
    assert KATAIB not in actors_of(project)
    undo(qtbot, panel)
    assert snapshot(project) == before
    redo(qtbot, panel)
    assert KATAIB not in actors_of(project)


def test_a_span_unlinked_in_the_view_updates_the_counts(qtbot, project, open_window):
    seed_actors(project)
    window = open_window(project)
    panel = open_panel(qtbot, window)
    view = window.view

    def mentions_of(name: str) -> int:
        return panel.model.actor_at(names_listed(panel).index(name)).mentions

    assert mentions_of(SOLEIMANI) == 2
    span = next(
        view_span.record for view_span in view.spans() if view_span.record.text == SOLEIMANI
    )
    # Unlinked as a person does it: click the span, then the span panel's Unlink button.
    for _ in range(4):  # a click cycles through nested spans
        click(view, span.start + len(span.text) // 2)
        if view.selected_span() is not None and view.selected_span().uuid == span.uuid:
            break
    assert view.selected_span().uuid == span.uuid
    press(qtbot, window.spans.actor.unlink)
    qtbot.waitUntil(lambda: mentions_of(SOLEIMANI) == 1, timeout=3000)
    undo(qtbot, panel)
    qtbot.waitUntil(lambda: mentions_of(SOLEIMANI) == 2, timeout=3000)
    # A claim tagged meanwhile changes no actor's counts: the actors are not read again.
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive(), timeout=3000)
    text = window.session.document.text
    start = text.index("said")
    drag(view, start, start + len("said"))
    qtbot.keyClick(view, Qt.Key.Key_C)
    assert any(s.record.label == "Claim" and s.record.start == start for s in view.spans())
    assert not panel._refresh_timer.isActive()


def summary(number: int) -> ActorSummary:
    return ActorSummary(
        number,
        f"uuid-{number:05d}",
        f"Actor {number:05d} al-Saadi" if number % 10 == 0 else f"Actor {number:05d}",
        "person" if number % 2 else None,
        "Actor",
        "",
        (f"Abū {number:05d}",) if number % 3 == 0 else (),
        number % 7,
        number % 5,
    )


def test_the_model_filters_and_sorts_ten_thousand_actors(qapp):
    model = ActorTableModel()
    actors = [summary(number) for number in range(10_000)]
    model.set_actors(actors)
    assert model.rowCount() == 10_000 and model.columnCount() == 5
    model.set_filter("SAADI")
    assert model.rowCount() == 1_000
    model.set_filter("abu 0999")  # an alias, accents aside: Abū 09990..09999, every third
    assert {model.actor_at(row).name for row in range(model.rowCount())} == {
        "Actor 00999",
        "Actor 09990 al-Saadi",
        "Actor 09993",
        "Actor 09996",
        "Actor 09999",
    }
    model.set_filter("")
    model.sort(3, Qt.SortOrder.DescendingOrder)  # by mentions, most first
    assert model.rowCount() == 10_000
    assert [model.actor_at(row).mentions for row in (0, 9_999)] == [6, 0]
    assert model.row_of("uuid-00006") < model.row_of("uuid-00007")
    model.set_filter("al-saadi")
    assert model.rowCount() == 1_000
    assert model.actor_at(0).mentions == 6  # the filter keeps the order
