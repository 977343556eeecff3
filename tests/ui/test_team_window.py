"""The window on a team's PostgreSQL project, opened with an analyst's login: one annotates as
the login whatever the preference says, Preferences shows the name but does not let it be
changed, and a tag is written as the login's (and undone)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from desktop.formats import import_paths
from desktop.ui.preferences import PreferencesDialog
from tests.conftest import CORPUS
from tests.team import team  # noqa: F401 - the fixture
from tests.ui.driving import CTRL, LEFT, activate, button_of, click_row, drag, press

FIRST = (CORPUS / "000_f40a1a98859d52a1.txt").read_text(encoding="utf-8")


def spans_of(team, name: str) -> list[tuple]:  # noqa: F811 - the fixture's name
    """The spans the database holds for ``name``, read as the project's owner."""
    owner = team.owner
    (person,) = [a for a in owner.annotators() if a.name == name]
    return sorted(
        (s.label, s.start, s.end, s.text, s.status)
        for document_id in owner.document_ids()
        for s in owner.spans(document_id, annotator_ids=[person.id])
    )


def test_an_analyst_annotates_as_their_login(qtbot, team, open_window, corpus):  # noqa: F811
    import_paths(team.owner, [corpus])
    team.init()  # again, as after an import: it is idempotent
    name, password = team.add("alice", "analyst")
    window = open_window(team.url_as(name, password), annotator="analyst_a")
    assert window.session.annotator.name == name  # not the preference
    assert window.session.member.role == "analyst"

    # Preferences (Ctrl+,): the name is there, greyed out, and says why
    qtbot.keyClick(window.view, Qt.Key.Key_Comma, CTRL)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, PreferencesDialog)
    assert dialog.annotator.text() == name and not dialog.annotator.isEnabled()
    assert dialog.signed_in.isVisible()
    assert dialog.signed_in.text() == (
        f"You sign in as {name} (analyst): the server decides who you are."
    )
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))
    assert not dialog.isVisible()
    assert window.session.annotator.name == name
    assert window.settings.annotator == "analyst_a"  # the preference is kept for other projects
    activate(qtbot, window)  # the dialog gone, keys go to the window again

    # tag the first seed article's "Yahya Rasool" as an Actor: written as alice
    document_id = next(
        d.id for d in team.owner.list_documents() if team.owner.document(d.id).text == FIRST
    )
    documents = window.documents
    row = documents.proxy.mapFromSource(
        documents.model.index(documents.model.row_of(document_id), 0)
    ).row()
    click_row(qtbot, documents.table, row)
    view = window.view
    qtbot.waitUntil(lambda: view.token_index is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.session.all_spans_shown)
    qtbot.mouseClick(view.viewport(), LEFT, pos=QPoint(2, 2))
    start = FIRST.index("Yahya Rasool")
    drag(view, start + 2, start + 9)
    qtbot.keyClick(view, Qt.Key.Key_A)
    tagged = [("Actor", start, start + 12, "Yahya Rasool", "accepted")]
    assert spans_of(team, name) == tagged
    assert [s.record.annotator for s in view.spans() if s.record.text == "Yahya Rasool"].count(
        name
    ) == 1
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert spans_of(team, name) == []
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert spans_of(team, name) == tagged
