"""The process the crash test kills: it opens a project and performs a seeded random sequence
of real user actions, writing each down in a journal (see ``tests.crash.journal``).

``--mode commands`` runs the edits of ``desktop/commands.py`` as the window would; ``--mode
window`` opens the real window (offscreen) and selects, clicks and presses keys in it.
Before every action it reads what the action will touch and writes a ``begin`` line with
the effect expected; once the action has returned and the store shows that effect, an
``end`` line. A driver that sees an action do anything else stops with exit code 3, so a
wrong expectation is never mistaken for a lost action.

    python -m tests.crash.driver --url PROJECT --journal FILE --seed N --mode commands
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

from db.records import NewSpan, SpanRecord
from db.store import Store, StoreError
from desktop import commands
from tests.crash.journal import (
    ANNOTATOR,
    PARTS,
    Journal,
    Observed,
    absent,
    diff,
    empty,
    observe,
    outcome,
    span_state,
)

LABELS = ("Claim", "Actor", "Event")
ATTRIBUTES = {  # values the default schemas allow, by label
    "Actor": {"type": ["person", "organisation", "state", "armed group", "media", "other"]},
    "Claim": {
        "stance": ["supports", "opposes", "neutral"],
        "certainty": ["asserted", "hedged", "denied", "reported"],
    },
}
WORD = re.compile(r"\w+")
PENDING_AT_MOST = 250  # suggestions waiting in one document: more, and the analyst decides first


class DriverError(Exception):
    """An action did something other than what it was expected to do (no kill involved)."""


@dataclass
class Done:
    """An applied action the driver may undo: what its items were before it."""

    text: str
    documents: list[int]
    before: dict[str, dict]
    command: Any = None  # the command (commands mode); the window keeps its own


def word_ranges(text: str) -> list[tuple[int, int]]:
    """Runs of one to three words on one line: what an analyst selects to tag."""
    words = [match.span() for match in WORD.finditer(text)]
    ranges = []
    for index, (start, _) in enumerate(words):
        for length in (1, 2, 3):
            if index + length <= len(words):
                end = words[index + length - 1][1]
                if "\n" not in text[start:end] and "\r" not in text[start:end]:
                    ranges.append((start, end))
    return ranges


def touching(relations: dict[str, dict], span_uuids: set[str]) -> dict[str, None]:
    """The relations that go when these spans go."""
    return {
        key: None
        for key, relation in relations.items()
        if relation["head"] in span_uuids or relation["tail"] in span_uuids
    }


class Driver:
    """What both modes share: choosing actions, expecting their effect, the journal."""

    weights: dict[str, float] = {}

    def __init__(self, journal: Journal, rng: Random, seed: int):
        self.journal = journal
        self.rng = rng
        self.seed = seed
        self.done: list[Done] = []  # the undo stack as the driver sees it
        self.step_number = 0

    # --- to be provided by each mode ------------------------------------------------------------

    store: Store
    texts: dict[int, str]
    ranges: dict[int, list[tuple[int, int]]]

    def step(self) -> None:
        self.step_number += 1
        kinds = list(self.weights)
        kind = self.rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]
        getattr(self, f"do_{kind}")()

    def load_texts(self) -> None:
        self.texts = {d: self.store.document(d).text for d in self.store.document_ids()}
        self.ranges = {d: word_ranges(text) for d, text in self.texts.items()}

    def new_uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def mine(self, seen: Observed, document_id: int, status: str | None = "accepted"):
        return [
            record
            for record in seen.spans.values()
            if record.document_id == document_id
            and record.annotator == ANNOTATOR
            and (status is None or record.status == status)
        ]

    def free_ranges(self, seen: Observed, document_id: int, label: str, count: int):
        """Word runs where the analyst has no span of ``label`` yet, in any status."""
        taken = {
            (r.start, r.end)
            for r in seen.spans.values()
            if r.document_id == document_id and r.annotator == ANNOTATOR and r.label == label
        }
        free = [span for span in self.ranges[document_id] if span not in taken]
        return self.rng.sample(free, min(count, len(free)))

    def suggestions_for(self, seen: Observed, document_id: int, count: int):
        """New suggestions (what a rules job writes) and the effect they must have."""
        label = self.rng.choice(LABELS)
        spans = []
        expected = empty()
        text = self.texts[document_id]
        for start, end in sorted(self.free_ranges(seen, document_id, label, count)):
            span_uuid = self.new_uuid()
            spans.append(
                NewSpan(
                    label, start, end, ANNOTATOR, uuid=span_uuid, status="suggested", origin="rules"
                )
            )
            expected["spans"][span_uuid] = {
                "document": document_id,
                "label": label,
                "annotator": ANNOTATOR,
                "start": start,
                "end": end,
                "text": text[start:end],
                "status": "suggested",
                "origin": "rules",
                "confidence": None,
                "note": "",
                "attributes": {},
                "entity": None,
            }
        return spans, expected

    def perform(
        self,
        action: str,
        text: str,
        documents: list[int],
        seen: Observed,
        run: Callable[[], Any],
        expected: dict[str, dict] | None = None,
        *,
        new_spans: list[dict[str, Any]] = (),
        new_relations: list[dict[str, Any]] = (),
        undoable: bool = False,
        command: Any = None,
    ) -> dict[str, dict]:
        """Journal, run and check one action; returns its effect as observed."""
        expected = expected or empty()
        new_spans, new_relations = list(new_spans), list(new_relations)
        begin = {"effect": expected, "new_spans": new_spans, "new_relations": new_relations}
        seq = self.journal.begin(action, text, expected, new_spans, new_relations)
        try:
            run()
        except StoreError as exc:
            raise DriverError(f"{text}: refused: {exc}") from exc
        after = self.settled(documents, seen, begin, text)
        effect = diff(seen.state, after)
        self.journal.end(seq, effect)
        if undoable:
            before = {
                part: {key: seen.state[part].get(key, absent(part)) for key in effect[part]}
                for part in PARTS
            }
            self.done.append(Done(text, documents, before, command))
        return effect

    def settled(self, documents, seen: Observed, begin, text: str) -> dict[str, dict]:
        """The state once the action shows its whole effect (or a DriverError)."""
        after = observe(self.store, documents).state
        self.check(seen, after, begin, text)
        return after

    @staticmethod
    def check(seen: Observed, after, begin, text: str) -> None:
        result = outcome(seen.state, after, begin)
        effect = diff(seen.state, after)
        explained = result.effect(begin["effect"])
        extra = [
            (part, key) for part in PARTS for key in effect[part] if key not in explained[part]
        ]
        if not result.complete or extra:
            raise DriverError(
                f"{text}: not the effect expected: {len(result.unchanged)} item(s) unchanged "
                f"{result.unchanged[:3]}, {len(result.other)} different {result.other[:2]}, "
                f"new items not found {result.missing[:2]}, unexpected changes {extra[:3]}"
            )

    def maybe_regret(self) -> None:
        """Now and then the analyst takes a large edit straight back."""
        if self.rng.random() < 0.3:
            self.do_undo()

    def do_undo(self) -> None:
        raise NotImplementedError

    def undo_expectation(self, entry: Done, seen: Observed) -> dict[str, dict]:
        """Undo puts back what the action changed; spans it takes away take their links."""
        expected = copy.deepcopy(entry.before)
        gone = {key for key, value in expected["spans"].items() if value is None}
        for key, value in touching(seen.state["relations"], gone).items():
            expected["relations"].setdefault(key, value)
        return expected


class CommandsDriver(Driver):
    """Edits through ``desktop.commands``, one store, as the window runs them."""

    weights = {
        "suggest": 2,
        "accept_all": 2.5,
        "reject_all": 1,
        "add": 3,
        "delete": 1.5,
        "relabel_many": 1.5,
        "note": 1,
        "attribute": 1,
        "relation": 1.5,
        "remove_label": 1.5,
        "undo": 2.5,
    }

    def __init__(self, url: str, journal: Journal, rng: Random, seed: int):
        super().__init__(journal, rng, seed)
        self.store = Store.open(url)
        self.annotator = self.store.ensure_annotator(ANNOTATOR)
        self.load_texts()

    def label_id(self, name: str) -> int:
        label = self.store.label_by_name(name)
        assert label is not None, name
        return label.id

    def document(self) -> tuple[int, Observed]:
        document_id = self.rng.choice(sorted(self.texts))
        return document_id, observe(self.store, [document_id])

    def do_suggest(self, document_id: int | None = None) -> None:
        if document_id is None:
            document_id = self.rng.choice(sorted(self.texts))
        seen = observe(self.store, [document_id])
        if len(self.mine(seen, document_id, "suggested")) >= PENDING_AT_MOST:
            self._decide_all(self.rng.choice(["accepted", "rejected"]))
            return
        spans, expected = self.suggestions_for(seen, document_id, self.rng.randint(60, 220))
        if spans:
            self.perform(
                "suggest",
                f"Suggest {len(spans)} spans",
                [document_id],
                seen,
                lambda: self.store.add_spans(document_id, spans),
                expected,
            )

    def _decide_all(self, status: str) -> None:
        pending = {}
        for document_id in sorted(self.texts):
            seen = observe(self.store, [document_id])
            pending[document_id] = (seen, self.mine(seen, document_id, "suggested"))
        candidates = [d for d, (_, spans) in pending.items() if len(spans) > 1]
        if not candidates:
            self.do_suggest()
            return
        document_id = self.rng.choice(candidates)
        seen, spans = pending[document_id]
        if status == "accepted":
            command = commands.accept_suggestions(self.store, spans)
        else:
            command = commands.reject_suggestions(self.store, spans)
        expected = empty()
        for record in spans:
            expected["spans"][record.uuid] = {**span_state(record), "status": status}
        self.perform(
            "accept_all" if status == "accepted" else "reject_all",
            command.text,
            [document_id],
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )
        self.maybe_regret()

    def do_accept_all(self) -> None:
        self._decide_all("accepted")

    def do_reject_all(self) -> None:
        self._decide_all("rejected")

    def do_add(self, label: str | None = None) -> None:
        document_id, seen = self.document()
        label = label or self.rng.choice(LABELS)
        free = self.free_ranges(seen, document_id, label, 1)
        if not free:
            return
        start, end = free[0]
        command = commands.AddSpan(
            self.store, document_id, self.label_id(label), self.annotator.id, start, end
        )
        pattern = {
            "document": document_id,
            "label": label,
            "annotator": ANNOTATOR,
            "start": start,
            "end": end,
            "status": "accepted",
            "origin": "manual",
        }
        self.perform(
            "add",
            f"Tag {label} {start}-{end}",
            [document_id],
            seen,
            command.apply,
            new_spans=[pattern],
            undoable=True,
            command=command,
        )

    def do_delete(self) -> None:
        document_id, seen = self.document()
        spans = self.mine(seen, document_id)
        if not spans:
            self.do_add()
            return
        count = self.rng.choice([1, 1, 2, 3, self.rng.randint(5, 20)])
        chosen = self.rng.sample(spans, min(count, len(spans)))
        command = commands.DeleteSpans(self.store, chosen)
        expected = empty()
        expected["spans"] = {record.uuid: None for record in chosen}
        expected["relations"] = touching(
            seen.state["relations"], {record.uuid for record in chosen}
        )
        self.perform(
            "delete",
            command.text,
            [document_id],
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )

    def _relabel(self, seen: Observed, spans: list[SpanRecord], label: str, action: str) -> None:
        command = commands.relabel_spans(self.store, spans, self.label_id(label), label)
        expected = empty()
        for record in spans:
            expected["spans"][record.uuid] = {**span_state(record), "label": label}
        self.perform(
            action,
            f"{command.text} ({len(spans)} spans)",
            sorted({record.document_id for record in spans}),
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )
        self.maybe_regret()

    def plain_spans(self, seen: Observed, document_id: int, not_label: str) -> list[SpanRecord]:
        """The analyst's accepted spans without attributes (any label takes them)."""
        return [
            record
            for record in self.mine(seen, document_id)
            if not record.attributes and record.label != not_label
        ]

    def do_relabel_many(self) -> None:
        document_id, seen = self.document()
        label = self.rng.choice(LABELS)
        spans = self.plain_spans(seen, document_id, label)
        if len(spans) < 2:
            self.do_suggest(document_id)
            return
        chosen = self.rng.sample(spans, min(len(spans), self.rng.randint(5, 80)))
        self._relabel(seen, chosen, label, "relabel_many")

    def do_note(self) -> None:
        document_id, seen = self.document()
        spans = self.mine(seen, document_id)
        if not spans:
            self.do_add()
            return
        record = self.rng.choice(spans)
        note = f"checked (seed {self.seed}, step {self.step_number})"
        command = commands.edit_note(self.store, record, note)
        expected = empty()
        expected["spans"][record.uuid] = {**span_state(record), "note": note}
        self.perform(
            "note",
            command.text,
            [document_id],
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )

    def do_attribute(self) -> None:
        document_id, seen = self.document()
        spans = [r for r in self.mine(seen, document_id) if r.label in ATTRIBUTES]
        if not spans:
            self.do_add(self.rng.choice(sorted(ATTRIBUTES)))
            return
        record = self.rng.choice(spans)
        name = self.rng.choice(sorted(ATTRIBUTES[record.label]))
        value = self.rng.choice(ATTRIBUTES[record.label][name] + [None])
        command = commands.set_attribute(self.store, record, name, value)
        attributes = dict(record.attributes)
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
        expected = empty()
        if attributes != record.attributes:
            expected["spans"][record.uuid] = {**span_state(record), "attributes": attributes}
        self.perform(
            "attribute",
            command.text,
            [document_id],
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )

    def do_relation(self) -> None:
        document_id, seen = self.document()
        claims = [r for r in self.mine(seen, document_id) if r.label == "Claim"]
        actors = [r for r in self.mine(seen, document_id) if r.label == "Actor"]
        if not claims or not actors:
            self.do_add("Claim" if not claims else "Actor")
            return
        head, tail = self.rng.choice(claims), self.rng.choice(actors)
        kind = self.rng.choice(["source", "about"])
        from_head = [r for r in seen.relations.values() if r.head_uuid == head.uuid]
        if any(r.type == kind and r.tail_uuid == tail.uuid for r in from_head):
            return  # already linked so: the store would refuse
        replaces = [r for r in from_head if r.type == "source"] if kind == "source" else []
        command = commands.AddRelation(
            self.store, head, tail, kind, self.annotator.id, replaces=replaces
        )
        expected = empty()
        expected["relations"] = {r.uuid: None for r in replaces}
        pattern = {"type": kind, "head": head.uuid, "tail": tail.uuid, "annotator": ANNOTATOR}
        self.perform(
            "relation",
            command.text,
            [document_id],
            seen,
            command.apply,
            expected,
            new_relations=[pattern],
            undoable=True,
            command=command,
        )

    def do_remove_label(self) -> None:
        """Make a label, move some spans to it, then remove it (deleting or moving them)."""
        document_id, seen = self.document()
        spans = self.plain_spans(seen, document_id, "")
        if len(spans) < 2:
            self.do_suggest(document_id)
            return
        name = f"Temp {self.seed}-{self.step_number}"
        add = commands.AddLabel(self.store, name)
        expected = empty()
        expected["labels"][name] = True
        self.perform("add_label", add.text, [document_id], seen, add.apply, expected)
        seen = observe(self.store, [document_id])
        chosen = self.rng.sample(spans, min(len(spans), self.rng.randint(5, 60)))
        chosen = [seen.spans[record.uuid] for record in chosen]
        self._relabel(seen, chosen, name, "relabel_many")
        seen = observe(self.store, [document_id])
        label = self.store.label_by_name(name)
        move_to = self.rng.choice([None, None, *LABELS])
        command = commands.RemoveLabel(
            self.store, label, relabel_to=self.label_id(move_to) if move_to else None
        )
        expected = empty()
        expected["labels"][name] = False
        moved = [r for r in seen.spans.values() if r.label == name]
        for record in moved:
            expected["spans"][record.uuid] = (
                {**span_state(record), "label": move_to} if move_to else None
            )
        if move_to is None:
            expected["relations"] = touching(seen.state["relations"], {r.uuid for r in moved})
        self.perform(
            "remove_label",
            f"{command.text} ({len(moved)} spans {'to ' + move_to if move_to else 'deleted'})",
            [document_id],
            seen,
            command.apply,
            expected,
            undoable=True,
            command=command,
        )

    def do_undo(self) -> None:
        if not self.done:
            self.do_add()
            return
        entry = self.done.pop()
        seen = observe(self.store, entry.documents)
        self.perform(
            "undo",
            f"Undo {entry.text}",
            entry.documents,
            seen,
            entry.command.undo,
            self.undo_expectation(entry, seen),
        )


class WindowDriver(Driver):
    """The real window, offscreen: the mouse selects and clicks, keys tag, delete and undo."""

    weights = {
        "tag": 3,
        "relabel": 1.5,
        "delete": 1.5,
        "accept_one": 1,
        "reject_one": 0.5,
        "accept_all": 2,
        "reject_all": 1,
        "suggest": 1.5,
        "undo": 2,
        "switch": 1,
    }

    def __init__(self, url: str, journal: Journal, rng: Random, seed: int):
        super().__init__(journal, rng, seed)
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        from desktop.settings import Settings
        from desktop.ui.app import create_window

        self.Qt = Qt
        self.QApplication = QApplication
        self.window = None
        # Suggestions on every document first, as a rules job would have left them.
        with Store.open(url) as store:
            self.store = store
            store.ensure_annotator(ANNOTATOR)
            self.load_texts()
            for document_id in sorted(self.texts):
                seen = observe(store, [document_id])
                if len(self.mine(seen, document_id, "suggested")) < 40:
                    spans, expected = self.suggestions_for(
                        seen, document_id, self.rng.randint(100, 200)
                    )
                    self.perform(
                        "suggest",
                        f"Suggest {len(spans)} spans",
                        [document_id],
                        seen,
                        lambda d=document_id, s=spans: store.add_spans(d, s),
                        expected,
                    )
        settings = Settings.load()
        settings.annotator = ANNOTATOR
        settings.snap_to_tokens = False  # exact drags; spaCy is not needed to tag
        self.launcher, self.window = create_window(url, settings)
        assert self.window is not None, f"the window did not open {url}"
        self.window.resize(1400, 900)
        self.window.show()
        self.window.activateWindow()
        self.wait(lambda: QApplication.activeWindow() is self.window, "the window is active")
        self.store = self.window.session.store
        self.session = self.window.session
        self.view = self.window.view
        if self.session.document is None:
            self.switch_to(sorted(self.texts)[0])
        self.settle()

    # --- driving ------------------------------------------------------------------------------

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise DriverError(f"timed out waiting until {what}")
            self.QApplication.processEvents()
            time.sleep(0.002)

    def key(self, key, modifiers=None) -> None:
        from PySide6.QtTest import QTest

        if modifiers is None:
            modifiers = self.Qt.KeyboardModifier.NoModifier
        QTest.keyClick(self.view, key, modifiers)
        self.QApplication.processEvents()

    def settle(self) -> None:
        """The open document fully shown, nothing selected, the keyboard in the text."""
        self.wait(
            lambda: self.session.document is not None and self.session.all_spans_shown,
            "the document's spans are shown",
        )
        if self.QApplication.activeWindow() is not self.window:
            self.window.activateWindow()
            self.wait(lambda: self.QApplication.activeWindow() is self.window, "active window")
        self.view.setFocus()
        self.key(self.Qt.Key.Key_Escape)

    def switch_to(self, document_id: int) -> None:
        """Click the document in the documents list."""
        from PySide6.QtTest import QTest

        documents = self.window.documents
        source_row = documents.model.row_of(document_id)
        index = documents.proxy.mapFromSource(documents.model.index(source_row, 0))
        table = documents.table
        table.scrollTo(index)
        QTest.mouseClick(
            table.viewport(), self.Qt.MouseButton.LeftButton, pos=table.visualRect(index).center()
        )
        self.wait(
            lambda: self.session.document is not None and self.session.document.id == document_id,
            f"document {document_id} is open",
        )
        self.settle()

    def opened(self) -> tuple[int, Observed]:
        self.settle()
        document_id = self.session.document.id
        return document_id, observe(self.store, [document_id])

    def settled(self, documents, seen: Observed, begin, text: str) -> dict[str, dict]:
        """Wait until the store shows the key's whole effect."""
        if self.window is None:  # before the window opens
            return super().settled(documents, seen, begin, text)
        deadline = time.monotonic() + 10
        while True:
            self.QApplication.processEvents()
            after = observe(self.store, documents).state
            if outcome(seen.state, after, begin).complete or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        self.check(seen, after, begin, text)
        return after

    def press(self, action, text, document_id, seen, key, modifiers=None, **kwargs) -> None:
        """Press a key that runs one command; the window's undo stack must take it."""
        stack = self.session.undo_stack
        depth = stack.index()
        self.perform(
            action,
            text,
            [document_id],
            seen,
            lambda: self.key(key, modifiers),
            undoable=True,
            **kwargs,
        )
        if stack.index() != depth + 1:
            raise DriverError(f"{text}: the undo stack went from {depth} to {stack.index()}")

    # --- actions ------------------------------------------------------------------------------

    def do_switch(self) -> None:
        current = self.session.document.id if self.session.document else None
        others = [d for d in sorted(self.texts) if d != current]
        self.switch_to(self.rng.choice(others))

    def do_tag(self) -> None:
        from tests.ui.driving import drag

        document_id, seen = self.opened()
        label = self.rng.choice(LABELS)
        free = self.free_ranges(seen, document_id, label, 1)
        if not free:
            return
        start, end = free[0]
        drag(self.view, start, end)
        if self.view.python_selection() != (start, end):
            return  # the drag did not land on those characters: a person would try again
        pattern = {
            "document": document_id,
            "label": label,
            "annotator": ANNOTATOR,
            "start": start,
            "end": end,
            "status": "accepted",
            "origin": "manual",
        }
        key = getattr(self.Qt.Key, f"Key_{label[0]}")
        self.press("add", f"Tag {label} {start}-{end}", document_id, seen, key, new_spans=[pattern])

    def click_span(self, records: list[SpanRecord]) -> SpanRecord | None:
        """Click in the middle of one of these spans; returns the span the click selected."""
        from tests.ui.driving import click

        if not records:
            return None
        record = self.rng.choice(records)
        click(self.view, (record.start + record.end - 1) // 2)
        return self.view.selected_span()

    def do_relabel(self) -> None:
        document_id, seen = self.opened()
        spans = [r for r in self.mine(seen, document_id) if not r.attributes]
        selected = self.click_span(spans)
        if selected is None or selected.uuid not in seen.spans or selected.attributes:
            return
        record = seen.spans[selected.uuid]
        label = self.rng.choice([name for name in LABELS if name != record.label])
        expected = empty()
        expected["spans"][record.uuid] = {**span_state(record), "label": label}
        key = getattr(self.Qt.Key, f"Key_{label[0]}")
        self.press("relabel", f"Relabel as {label}", document_id, seen, key, expected=expected)

    def do_delete(self) -> None:
        document_id, seen = self.opened()
        selected = self.click_span(self.mine(seen, document_id))
        if selected is None or selected.uuid not in seen.spans:
            return
        expected = empty()
        expected["spans"][selected.uuid] = None
        expected["relations"] = touching(seen.state["relations"], {selected.uuid})
        self.press(
            "delete", "Delete span", document_id, seen, self.Qt.Key.Key_Delete, expected=expected
        )

    def _decide_one(self, status: str) -> None:
        document_id, seen = self.opened()
        if self.click_span(self.mine(seen, document_id, "suggested")) is None:
            self.do_suggest()
            return
        suggestion = self.session.current_suggestion()
        if suggestion is None or suggestion.uuid not in seen.spans:
            return
        expected = empty()
        expected["spans"][suggestion.uuid] = {
            **span_state(seen.spans[suggestion.uuid]),
            "status": status,
        }
        key = self.Qt.Key.Key_Return if status == "accepted" else self.Qt.Key.Key_Backspace
        action = "accept_one" if status == "accepted" else "reject_one"
        self.press(action, f"{action} (key)", document_id, seen, key, expected=expected)

    def do_accept_one(self) -> None:
        self._decide_one("accepted")

    def do_reject_one(self) -> None:
        self._decide_one("rejected")

    def _decide_all(self, status: str) -> None:
        document_id, seen = self.opened()
        pending = self.mine(seen, document_id, "suggested")
        if len(pending) < 2:
            self.do_suggest()
            return
        shown = {record.uuid for record in self.session.suggestions()}
        if shown != {record.uuid for record in pending}:
            raise DriverError(
                f"the view shows {len(shown)} suggestions, the store has {len(pending)}"
            )
        expected = empty()
        for record in pending:
            expected["spans"][record.uuid] = {**span_state(record), "status": status}
        modifiers = (
            self.Qt.KeyboardModifier.ControlModifier | self.Qt.KeyboardModifier.ShiftModifier
        )
        if status == "accepted":
            key, action, text = self.Qt.Key.Key_Return, "accept_all", "Accept"
        else:
            key, action, text = self.Qt.Key.Key_Backspace, "reject_all", "Reject"
        self.press(
            action,
            f"{text} {len(pending)} suggestions (Ctrl+Shift+{key.name[4:]})",
            document_id,
            seen,
            key,
            modifiers,
            expected=expected,
        )
        self.maybe_regret()

    def do_accept_all(self) -> None:
        self._decide_all("accepted")

    def do_reject_all(self) -> None:
        self._decide_all("rejected")

    def do_suggest(self) -> None:
        """A suggestion job's result arriving for the open document."""
        document_id, seen = self.opened()
        if len(self.mine(seen, document_id, "suggested")) >= PENDING_AT_MOST:
            self._decide_all(self.rng.choice(["accepted", "rejected"]))
            return
        spans, expected = self.suggestions_for(seen, document_id, self.rng.randint(60, 200))
        if spans:
            self.perform(
                "suggest",
                f"Suggest {len(spans)} spans",
                [document_id],
                seen,
                lambda: self.session.add_suggestions(spans),
                expected,
            )

    def do_undo(self) -> None:
        stack = self.session.undo_stack
        if not self.done:
            self.do_tag()
            return
        if not stack.canUndo():
            raise DriverError(f"the window cannot undo {self.done[-1].text}")
        self.settle()
        entry = self.done.pop()
        seen = observe(self.store, entry.documents)
        depth = stack.index()
        self.perform(
            "undo",
            f"Undo {entry.text} (Ctrl+Z)",
            entry.documents,
            seen,
            lambda: self.key(self.Qt.Key.Key_Z, self.Qt.KeyboardModifier.ControlModifier),
            self.undo_expectation(entry, seen),
        )
        if stack.index() != depth - 1:
            raise DriverError(f"Ctrl+Z moved the undo stack from {depth} to {stack.index()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the project: an SQLite path or a URL")
    parser.add_argument("--journal", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--mode", choices=["commands", "window"], default="commands")
    parser.add_argument("--steps", type=int, default=400, help="stop after this many")
    args = parser.parse_args(argv)
    journal = Journal(args.journal)
    rng = Random(args.seed)
    try:
        driver_class = CommandsDriver if args.mode == "commands" else WindowDriver
        driver = driver_class(args.url, journal, rng, args.seed)
        journal.write({"phase": "ready", "seed": args.seed, "mode": args.mode})
        for _ in range(args.steps):
            driver.step()
        journal.write({"phase": "finished", "steps": driver.step_number})
    except DriverError as exc:
        print(f"crash driver (seed {args.seed}, {args.mode}): {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
