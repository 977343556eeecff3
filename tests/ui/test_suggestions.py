"""Suggestions in the window: run them, accept and reject by key, train, order by uncertainty."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.ui import workers
from tests.conftest import CORPUS

FIRST = (CORPUS / "000_f40a1a98859d52a1.txt").read_text(encoding="utf-8")


def finish(qtbot, job, timeout=120000):
    if job is not None and job in workers._running:
        with qtbot.waitSignal(job.ended, timeout=timeout):
            pass
    QApplication.processEvents()


def open_first(qtbot, window):
    document_id = next(
        d.id for d in window.store.list_documents() if window.store.document(d.id).text == FIRST
    )
    window.open_document(document_id)
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    window.view.setFocus()
    return document_id


def mine(location, annotator="me", status=None):
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        spans = [s for d in store.document_ids() for s in store.spans(d, annotator_ids=[person.id])]
    return [s for s in spans if status is None or s.status == status]


def test_rules_suggest_in_the_open_document_and_keys_accept_or_reject(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    document_id = open_first(qtbot, window)
    finish(qtbot, window.suggestions.suggest_here())
    suggested = mine(project, status="suggested")
    assert suggested and {s.origin for s in suggested} == {"rules"}
    assert {s.document_id for s in suggested} == {document_id}
    drawn = {s.uuid: s.style for s in window.view.spans()}
    assert all(drawn[s.uuid] == "suggested" for s in suggested)

    first, second = sorted(suggested, key=lambda s: s.start)[:2]
    window.view.select_python_range(first.start, first.start)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    with Store.open(project) as store:
        assert store.span(first.uuid).status == "accepted"
    window.view.select_span(None)
    window.view.select_python_range(second.start, second.start)
    qtbot.keyClick(window.view, Qt.Key.Key_Backspace)
    with Store.open(project) as store:
        assert store.span(second.uuid).status == "rejected"
    assert second.uuid not in {s.uuid for s in window.view.spans()}
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    with Store.open(project) as store:
        assert store.span(second.uuid).status == "suggested"


def test_accept_all_and_reject_all_keys_and_nothing_is_suggested_twice(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    open_first(qtbot, window)
    finish(qtbot, window.suggestions.suggest_here())
    pending = len(mine(project, status="suggested"))
    assert pending > 3
    qtbot.keyClick(
        window.view,
        Qt.Key.Key_Backspace,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(mine(project, status="rejected")) == pending
    finish(qtbot, window.suggestions.suggest_here())
    assert mine(project, status="suggested") == []  # rejected suggestions stay rejected
    window.undo_action.trigger()
    assert len(mine(project, status="suggested")) == pending
    qtbot.keyClick(
        window.view,
        Qt.Key.Key_Return,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(mine(project, status="accepted")) == pending


def test_suggesting_everywhere_keeps_the_window_responsive(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    open_first(qtbot, window)
    job = window.suggestions.suggest_everywhere()
    ticks = []
    qtbot.waitUntil(lambda: ticks.append(1) or job not in workers._running, timeout=60000)
    finish(qtbot, job)
    assert len({s.document_id for s in mine(project, status="suggested")}) >= 4
    assert "new suggestion(s)" in window.statusBar().currentMessage()


def test_a_missing_pipeline_is_reported_not_a_crash(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    open_first(qtbot, window)
    dialog = window.suggestions.ask_suggest()
    dialog.pipeline.setChecked(True)
    dialog.name.setText("xx_no_such_pipeline_sm")
    dialog.accept()
    finish(qtbot, window.suggestions.last_job)
    assert "xx_no_such_pipeline_sm" in window.last_error and "install" in window.last_error
    assert mine(project, status="suggested") == []


@pytest.mark.slow
def test_train_then_order_by_uncertainty_and_suggest_with_the_model(
    qtbot, project, open_window, tmp_path
):
    window = open_window(project, annotator="me")
    open_first(qtbot, window)
    dialog = window.suggestions.ask_train()
    dialog.output.setText(str(tmp_path / "model"))
    dialog.epochs.setValue(3)
    dialog.held_out.setValue(0.5)
    for row in range(dialog.annotators.count()):
        item = dialog.annotators.item(row)
        item.setCheckState(
            Qt.CheckState.Checked if item.text() == "analyst_a" else Qt.CheckState.Unchecked
        )
    dialog.accept()
    finish(qtbot, window.suggestions.last_job, timeout=240000)
    report = window.suggestions.last_report
    assert report is not None and (tmp_path / "model").is_dir()
    assert set(report.labels) == {"Claim", "Actor", "Event"} and report.held_out_documents
    from desktop.ui.suggestions import report_html

    shown = report_html(report)
    assert (
        all(label in shown for label in report.labels)
        and "precision" in shown
        and "overall" in shown
    )
    assert window.suggestions.report_dialog.isVisible()
    assert window.settings.last_model == str(tmp_path / "model")
    finish(qtbot, window.suggestions.order_by_uncertainty())
    scores = window.documents.model._scores
    assert set(scores) == set(window.store.document_ids())
    order = [
        window.documents.proxy.data(window.documents.proxy.index(r, 0), Qt.ItemDataRole.UserRole)
        for r in range(window.documents.proxy.rowCount())
    ]
    assert [scores[i] for i in order] == sorted(scores.values(), reverse=True)
    finish(qtbot, window.suggestions.suggest([window.session.document.id], str(tmp_path / "model")))
    assert {s.origin for s in mine(project, status="suggested")} <= {"model"}
