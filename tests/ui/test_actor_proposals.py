"""Proposed spellings of one actor in the Actors dock, over both analysts' seed annotations:
found in the background, accepted as a new actor, into the group's own actor or into one
chosen from a list, rejected (and not proposed again), by key and by button; every step
checked in the database, undone and redone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.review import actors as edits
from tests.ui.driving import LEFT, activate, button_named, click_row, press, type_into
from tests.ui.test_actors_panel import SAADI, open_panel, snapshot, spans_written

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
PROXIES = "Tehran's proxies"


def seed(location: str) -> None:
    """An actor for one spelling of al-Saadi (so his group has an actor), and one with no
    mention yet, for groups to go into."""
    with Store.open(location) as store:
        edits.create_actor(store, SAADI, span_uuids=spans_written(store, SAADI)).apply()
        edits.create_actor(store, PROXIES, type="armed group").apply()


def groups(panel) -> list[tuple[str, ...]]:
    model = panel.proposal_model
    return [model.proposal_at(row).names for row in range(model.rowCount())]


def current(panel) -> tuple[str, ...]:
    return panel.proposal_model.proposal_at(panel.proposals.currentIndex().row()).names


def pick(qtbot, panel, name: str) -> tuple[str, ...]:
    """Click the group that holds ``name``."""
    row = next(row for row, names in enumerate(groups(panel)) if name in names)
    click_row(qtbot, panel.proposals, row)
    assert name in current(panel)
    return current(panel)


def ready(qtbot, panel) -> None:
    qtbot.waitUntil(panel.proposals_ready, timeout=20000)


def actor(location: str, name: str):
    """(aliases, number of spans linked) of the actor called ``name``, or None."""
    for each_name, _type, _description, aliases, spans in snapshot(location)[0]:
        if each_name == name:
            return aliases, len(spans)
    return None


def key(qtbot, panel, which, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(panel.proposals, which, modifiers)
    QApplication.processEvents()


def open_proposals(qtbot, window):
    panel = open_panel(qtbot, window)
    bar = panel.tabs.tabBar()
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(1).center())
    ready(qtbot, panel)
    assert panel.proposals.hasFocus()
    return panel


def test_accept_a_group_as_a_new_actor_and_into_its_own_actor(qtbot, project, open_window):
    seed(project)
    window = open_window(project)
    panel = open_proposals(qtbot, window)
    before = snapshot(project)
    found = groups(panel)
    assert found[0] == ("Joe Biden", "President Joe Biden")
    assert panel.tabs.tabText(1) == f"Proposed ({len(found)})"
    assert all(PROXIES not in names for names in found)
    saadi_group = next(names for names in found if SAADI in names)
    assert "Abu Baqer" in saadi_group
    assert "title dropped" in panel.reasons.text()
    assert "Enter makes a new actor" in panel.reasons.text()

    key(qtbot, panel, Qt.Key.Key_Space)
    assert current(panel) == found[1]
    key(qtbot, panel, Qt.Key.Key_Space, SHIFT)
    assert current(panel) == found[0]

    # Enter: a new actor from the group, its spans linked; the next group is current.
    key(qtbot, panel, Qt.Key.Key_Return)
    assert actor(project, "Joe Biden") == (("President Joe Biden",), 2)  # titles set aside
    assert groups(panel) == found[1:] and current(panel) == found[1]
    assert panel.tabs.tabText(1) == f"Proposed ({len(found) - 1})"
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert snapshot(project) == before
    ready(qtbot, panel)
    assert groups(panel) == found  # computed again: the group is back
    key(qtbot, panel, Qt.Key.Key_Z, CTRL | SHIFT)
    assert actor(project, "Joe Biden") == (("President Joe Biden",), 2)  # titles set aside
    ready(qtbot, panel)
    assert groups(panel) == found[1:]

    # The Accept button, on al-Saadi's group: into the actor it already has.
    pick(qtbot, panel, SAADI)
    assert f"Enter adds the names to <b>{SAADI}</b>" in panel.reasons.text()
    press(qtbot, panel.accept_button)
    with Store.open(project) as store:
        linked = spans_written(store, *saadi_group)
    assert actor(project, SAADI) == (
        tuple(sorted(set(saadi_group) - {SAADI})),
        len(linked),
    )
    assert len(linked) == 2 * len(saadi_group)  # both analysts tagged each spelling
    assert all(SAADI not in names for names in groups(panel))
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert actor(project, SAADI) == ((), 2)
    ready(qtbot, panel)
    assert saadi_group in groups(panel)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert snapshot(project) == before


def test_accept_into_an_actor_chosen_from_a_list(qtbot, project, open_window):
    seed(project)
    window = open_window(project)
    panel = open_proposals(qtbot, window)
    before = snapshot(project)
    group = pick(qtbot, panel, "Iran-backed armed groups")

    # Shift+Enter: the picker, the group's first name in its filter; type, Enter.
    key(qtbot, panel, Qt.Key.Key_Return, SHIFT)
    picker = panel.picker
    qtbot.waitUntil(picker.isVisible)
    assert picker.filter.text() == group[0] and picker.filter.hasFocus()
    type_into(qtbot, picker.filter, "tehran")
    assert picker.list.item(0).text().startswith(PROXIES)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible())
    activate(qtbot, window)  # the window has the keyboard again
    assert actor(project, PROXIES) == (tuple(sorted(group)), 4)
    assert group not in groups(panel)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert snapshot(project) == before
    ready(qtbot, panel)
    assert group in groups(panel)

    # The button; Cancel changes nothing, Choose puts the group into the actor.
    pick(qtbot, panel, "Iran-backed armed groups")
    press(qtbot, panel.into_button)
    picker = panel.picker
    qtbot.waitUntil(picker.isVisible)
    press(qtbot, button_named(picker, "Cancel"))
    qtbot.waitUntil(lambda: not picker.isVisible())
    activate(qtbot, window)  # the window has the keyboard again
    assert snapshot(project) == before and group in groups(panel)
    press(qtbot, panel.into_button)
    picker = panel.picker
    qtbot.waitUntil(picker.isVisible)
    type_into(qtbot, picker.filter, "proxies")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    press(qtbot, picker.choose_button)
    qtbot.waitUntil(lambda: not picker.isVisible())
    activate(qtbot, window)  # the window has the keyboard again
    assert actor(project, PROXIES) == (tuple(sorted(group)), 4)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert snapshot(project) == before
    ready(qtbot, panel)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL | SHIFT)
    assert actor(project, PROXIES) == (tuple(sorted(group)), 4)


def test_reject_a_group_it_is_not_proposed_again_until_undone(qtbot, project, open_window):
    seed(project)
    window = open_window(project)
    panel = open_proposals(qtbot, window)
    before = snapshot(project)
    found = groups(panel)
    group = pick(qtbot, panel, "US military")

    key(qtbot, panel, Qt.Key.Key_Backspace)
    with Store.open(project) as store:
        assert store.rejected_pairs() == {("the us military", "us military")}
    assert group not in groups(panel)
    press(qtbot, panel.find_button)  # computed again: still not proposed
    ready(qtbot, panel)
    assert group not in groups(panel) and len(groups(panel)) == len(found) - 1
    assert snapshot(project) == before  # no actor was touched

    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    with Store.open(project) as store:
        assert store.rejected_pairs() == set()
    ready(qtbot, panel)
    assert groups(panel) == found
    key(qtbot, panel, Qt.Key.Key_Z, CTRL | SHIFT)
    ready(qtbot, panel)
    assert group not in groups(panel)

    # The Reject button, on another group.
    other = pick(qtbot, panel, "IRI")
    press(qtbot, panel.reject_button)
    with Store.open(project) as store:
        assert len(store.rejected_pairs()) == 2
    assert other not in groups(panel)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    ready(qtbot, panel)
    assert other in groups(panel) and group not in groups(panel)
