"""The history of every change on SQLite and PostgreSQL: one row per changed row with the
whole row before and after and who made it, restoring any recorded state (itself
recorded), nothing of a failed transaction, and on PostgreSQL changes made outside Dossier
and the notifications other windows listen for."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

import db.engine
from db.records import ImportBatch, NewDocument, NewSpan
from db.schema import AttributeSpec, LabelSchema
from db.store import ConflictError, Store, StoreError
from db.store.base import LABEL, RELATION, REVIEW, SPAN
from db.triggers import pg_tables, sqlite_trigger_names
from tests.conftest import PG_URL  # the server the tests run against (DOSSIER_TEST_PG_URL)

TEXT = "Kata’ib Hezbollah said 👍🏽 the strike on Jurf al-Sakhar\r\nالعراق denied it, é."


def at(piece: str) -> tuple[int, int]:
    start = TEXT.index(piece)
    return start, start + len(piece)


def row_of(store: Store, table, **where) -> dict | None:
    """The row as the database has it now, read without the store's code, JSON decoded."""
    with store.engine.connect() as connection:
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        row = connection.execute(query).first()
    return dict(row._mapping) if row else None


@pytest.fixture
def project(store):
    store.set_actor("alice")
    document_id = store.import_batch(
        ImportBatch(documents=[NewDocument(text=TEXT, title="a"), NewDocument(text="Other.")])
    ).document_ids[0]
    alice = store.ensure_annotator("alice").id
    return store, document_id, alice


def add(store, document_id, annotator_id, label, piece, **fields):
    start, end = at(piece)
    return store.add_span(
        document_id, store.label_by_name(label).id, annotator_id, start, end, **fields
    )


def last(store, **where):
    return store.history(**where)[-1]


def test_every_change_of_a_span_is_one_row_with_the_whole_row_before_and_after(project):
    store, document_id, alice = project
    span = add(store, document_id, alice, "Claim", "Hezbollah said 👍🏽")
    entry = last(store, key=span.uuid)
    assert (entry.kind, entry.op, entry.document_id, entry.actor) == (
        "span",
        "insert",
        document_id,
        "alice",
    )
    assert entry.before is None and entry.after == row_of(store, SPAN, uuid=span.uuid)
    assert entry.after["attributes"] == {}  # an object, not a string
    actor = store.add_entity("Kata’ib Hezbollah", label="Actor")
    other = add(store, document_id, alice, "Actor", "Kata’ib Hezbollah")
    event_id = store.label_by_name("Event").id
    edits = [
        (span.uuid, {"label_id": event_id}),
        (span.uuid, {"start": at("said 👍🏽")[0]}),
        (span.uuid, {"status": "rejected"}),
        (span.uuid, {"note": "ي\u0301 note"}),
        (span.uuid, {"attributes": {"date": "2024-01-28"}}),
        (other.uuid, {"entity_uuid": actor.uuid}),
    ]
    for uuid, change in edits:
        before = row_of(store, SPAN, uuid=uuid)
        count = len(store.history())
        store.update_span(uuid, **change)
        new = store.history()[count:]
        assert [(e.kind, e.op, e.key) for e in new] == [("span", "update", uuid)], change
        assert new[0].before == before
        assert new[0].after == row_of(store, SPAN, uuid=uuid)
    assert new[0].after["entity_id"] == row_of(store, SPAN, uuid=other.uuid)["entity_id"]
    assert last(store, key=span.uuid).after["attributes"] == {"date": "2024-01-28"}
    before = row_of(store, SPAN, uuid=span.uuid)
    store.delete_span(span.uuid)
    entry = last(store, key=span.uuid)
    assert (entry.op, entry.before, entry.after) == ("delete", before, None)
    assert [e.op for e in store.history(key=span.uuid)] == ["insert"] + ["update"] * 5 + ["delete"]


def test_relations_labels_reviews_and_a_deleted_document_are_recorded(project):
    store, document_id, alice = project
    claim = add(store, document_id, alice, "Claim", "Hezbollah said 👍🏽")
    actor = add(store, document_id, alice, "Actor", "Kata’ib Hezbollah")
    relation = store.add_relation(claim.uuid, actor.uuid, "source", alice)
    entry = last(store, key=relation.uuid)
    assert (entry.kind, entry.op, entry.document_id) == ("relation", "insert", document_id)
    assert entry.after == row_of(store, RELATION, uuid=relation.uuid)
    store.delete_relation(relation.uuid)
    assert last(store, key=relation.uuid).op == "delete"

    label = store.add_label("Location", colour="#123456")
    key = str(label.id)
    assert last(store, key=key).after == row_of(store, LABEL, id=label.id)
    store.update_label(label.id, name="Place")
    store.update_label(label.id, colour="#654321")
    schema = LabelSchema(attributes=(AttributeSpec("precision", "choice", ("exact", "near")),))
    store.set_label_schema(label.id, schema)
    changes = store.history(key=key)
    assert [(e.kind, e.op) for e in changes] == [("label", "insert")] + [("label", "update")] * 3
    assert (changes[1].before["name"], changes[1].after["name"]) == ("Location", "Place")
    assert changes[2].after["colour"] == "#654321"
    assert changes[3].after["schema"] == schema.to_json()
    assert all(e.document_id is None for e in changes)
    store.delete_label(label.id)
    assert last(store, key=key).op == "delete"

    gold = store.gold_annotator()
    decision, _written, _removed = store.record_decision(
        document_id,
        alice,
        kind="agreed",
        action="take",
        candidates=[{"label": "Actor", "annotator": "alice"}],
        gold_spans=[NewSpan("Actor", *at("Kata’ib Hezbollah"), gold.name)],
    )
    entry = last(store, key=decision.uuid)
    assert (entry.kind, entry.op, entry.document_id) == ("review", "insert", document_id)
    assert entry.after["candidates"] == [{"label": "Actor", "annotator": "alice"}]

    spans_before = {s.uuid: row_of(store, SPAN, uuid=s.uuid) for s in store.spans(document_id)}
    count = len(store.history())
    store.delete_document(document_id)
    gone = {e.key: e for e in store.history()[count:] if e.kind == "span"}
    assert gone.keys() == spans_before.keys()
    assert all(
        e.op == "delete" and e.before == spans_before[k] and e.document_id == document_id
        for k, e in gone.items()
    )
    assert {e.kind for e in store.history()[count:]} >= {"span", "review"}


def test_the_actor_is_the_stores_and_set_actor_changes_it(store):
    assert store.actor is None
    assert len(store.session) == 12 and int(store.session, 16) >= 0
    store.set_actor("O’Brien; DROP TABLE x")
    label = store.add_label("Location")
    assert last(store, key=str(label.id)).actor == "O’Brien; DROP TABLE x"
    store.set_actor("bob")
    store.update_label(label.id, colour="#000000")
    assert last(store, key=str(label.id)).actor == "bob"
    store.set_actor(None)
    store.update_label(label.id, colour="#111111")
    assert last(store, key=str(label.id)).actor is None
    expected_login = "postgres" if store.dialect == "postgresql" else None
    assert {e.login for e in store.history()} == {expected_login}


def test_an_in_memory_project_records_as_its_actor_after_set_actor():
    with Store.open(":memory:", actor="alice") as store:
        label = store.add_label("Location")
        store.set_actor("bob")
        store.update_label(label.id, name="Place")
        assert [(e.op, e.actor) for e in store.history(key=str(label.id))] == [
            ("insert", "alice"),
            ("update", "bob"),
        ]
        assert store.labels()[-1].name == "Place"  # the database survived set_actor


def test_a_failed_transaction_leaves_no_history(project):
    store, document_id, alice = project
    first = add(store, document_id, alice, "Claim", "the strike")
    count = len(store.history())
    with pytest.raises(ConflictError):
        store.delete_spans([first.uuid, "no-such-span"])
    assert len(store.history()) == count
    assert store.span(first.uuid) is not None


def test_history_filters(project):
    store, document_id, alice = project
    first = add(store, document_id, alice, "Claim", "the strike")
    second = add(store, document_id, alice, "Actor", "العراق")
    everything = store.history()
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    assert {e.key for e in store.history(document_id=document_id)} == {first.uuid, second.uuid}
    assert store.history(limit=1) == everything[-1:]
    assert store.history(after_id=everything[-2].id) == everything[-1:]
    assert store.history(since="2999-01-01") == []
    assert store.history(since=everything[-1].at) == everything[-1:]


# --- restoring -------------------------------------------------------------------------------


def test_restoring_a_span_puts_back_each_earlier_state_and_is_recorded(project):
    store, document_id, alice = project
    span = add(store, document_id, alice, "Claim", "Hezbollah said 👍🏽", note="first")
    entity = store.add_entity("Kata’ib", label="Claim")
    store.update_span(span.uuid, start=at("said 👍🏽")[0], note="second")
    store.update_span(span.uuid, entity_uuid=entity.uuid, attributes={"stance": "supports"})
    moved = last(store, key=span.uuid)
    restored = store.restore_history(moved.id, state="before")
    now = row_of(store, SPAN, uuid=span.uuid)
    keep = ("id", "uuid", "document_id", "created_at")
    for name in set(now) - {"updated_at", "version"}:
        assert now[name] == moved.before[name], name
    assert now["version"] == moved.after["version"] + 1
    assert [s.uuid for s in restored.updated] == [span.uuid] and restored.added == ()
    recorded = last(store, key=span.uuid)
    assert (recorded.op, recorded.before, recorded.after) == ("update", moved.after, now)
    assert recorded.actor == "alice"
    # ...and forward again
    store.restore_history(moved.id, state="after")
    again = row_of(store, SPAN, uuid=span.uuid)
    assert {k: again[k] for k in keep} == {k: now[k] for k in keep}
    assert again["entity_id"] is not None and again["attributes"] == {"stance": "supports"}

    # a deleted span comes back with its uuid, a relation of it when that is restored too
    actor = add(store, document_id, alice, "Actor", "Kata’ib Hezbollah")
    relation = store.add_relation(span.uuid, actor.uuid, "source", alice)
    before = row_of(store, SPAN, uuid=span.uuid)
    store.delete_span(span.uuid)
    deleted = last(store, key=span.uuid)
    removed_relation = last(store, key=relation.uuid)
    assert removed_relation.op == "delete"
    restored = store.restore_history(deleted.id)
    assert [s.uuid for s in restored.added] == [span.uuid]
    back = row_of(store, SPAN, uuid=span.uuid)
    assert {k: v for k, v in back.items() if k not in ("updated_at", "version")} == {
        k: v for k, v in before.items() if k not in ("updated_at", "version")
    }
    assert store.relations(document_id) == []
    restored = store.restore_history(removed_relation.id)
    assert [(r.uuid, r.head_uuid, r.tail_uuid) for r in restored.relations_added] == [
        (relation.uuid, span.uuid, actor.uuid)
    ]
    assert [r.uuid for r in store.relations(document_id)] == [relation.uuid]
    # restoring the state before it was made deletes it (with its relation)
    inserted = store.history(key=span.uuid)[0]
    restored = store.restore_history(inserted.id, state="before")
    assert restored.removed == (span.uuid,) and restored.relations_removed == (relation.uuid,)
    assert store.span(span.uuid) is None
    assert last(store, key=span.uuid).op == "delete"


def test_a_restore_that_cannot_be_done_says_why_and_writes_nothing(project):
    store, document_id, alice = project
    claim = add(store, document_id, alice, "Claim", "the strike")
    actor = add(store, document_id, alice, "Actor", "العراق")
    relation = store.add_relation(claim.uuid, actor.uuid, "source", alice)
    store.delete_relation(relation.uuid)
    removed = last(store, key=relation.uuid)
    store.delete_span(actor.uuid)
    count = len(store.history())
    with pytest.raises(StoreError, match="tail span of this source relation no longer exists"):
        store.restore_history(removed.id)
    with pytest.raises(StoreError, match="no change 999999"):
        store.restore_history(999999)
    with pytest.raises(StoreError, match="'before' or 'after'"):
        store.restore_history(removed.id, state="later")
    label = store.add_label("Location")
    span = add(store, document_id, alice, "Location", "Jurf al-Sakhar")
    deleted_span = last(store, key=span.uuid)
    store.delete_span(span.uuid)
    deleted_span = last(store, key=span.uuid)
    store.delete_label(label.id)
    count = len(store.history())
    with pytest.raises(StoreError, match="restore the label first"):
        store.restore_history(deleted_span.id)
    assert len(store.history()) == count


def test_restoring_labels_and_review_decisions(project):
    store, document_id, alice = project
    label = store.add_label("Location", colour="#123456", shortcut="L")
    key = str(label.id)
    store.update_label(label.id, name="Place")
    store.set_label_schema(label.id, LabelSchema(attributes=(AttributeSpec("near", "yesno"),)))
    rename, schema_change = store.history(key=key)[1:3]
    store.restore_history(rename.id, state="before")
    assert row_of(store, LABEL, id=label.id)["name"] == "Location"
    store.restore_history(schema_change.id, state="before")  # the whole row, name too
    assert row_of(store, LABEL, id=label.id) == schema_change.before
    store.delete_label(label.id)
    restored = store.restore_history(last(store, key=key).id)
    assert restored.labels_changed
    assert row_of(store, LABEL, id=label.id) == schema_change.before
    assert last(store, key=key).op == "insert"

    decision, _, _ = store.record_decision(
        document_id, alice, kind="missing", action="reject", candidates=[]
    )
    before = row_of(store, REVIEW, uuid=decision.uuid)
    store.undo_decision(decision.uuid, [])
    restored = store.restore_history(last(store, key=decision.uuid).id)
    assert restored.reviews_changed and row_of(store, REVIEW, uuid=decision.uuid) == before
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE review_decision SET note = 'x'"))
    with pytest.raises(StoreError, match="cannot be restored"):
        store.restore_history(last(store, key=decision.uuid).id)


# --- PostgreSQL: outside Dossier, and notifications --------------------------------------------


def test_a_change_made_with_plain_sql_outside_dossier_is_recorded(pg_url):
    import psycopg

    with Store.open(pg_url, actor="alice") as store:
        document_id = store.import_batch(
            ImportBatch(documents=[NewDocument(text=TEXT)])
        ).document_ids[0]
        span = add(store, document_id, store.ensure_annotator("alice").id, "Claim", "the strike")
        schema = store.engine.url.query["options"].split("=", 1)[1]
        with psycopg.connect(PG_URL, autocommit=True) as outside:
            outside.execute(f'SET search_path = "{schema}"')
            outside.execute(
                "UPDATE annotation SET note = 'from psql' WHERE uuid = %s", (span.uuid,)
            )
        entry = last(store, key=span.uuid)
        assert (entry.op, entry.actor, entry.login) == ("update", None, "postgres")
        assert entry.after["note"] == "from psql" and entry.before["note"] == ""


def _listen(store):
    import psycopg

    schema = store.engine.url.query["options"].split("=", 1)[1]
    connection = psycopg.connect(PG_URL, autocommit=True)
    connection.execute(f'LISTEN "dossier:{schema}"')
    return connection


def _payloads(connection) -> list[dict]:
    return [json.loads(n.payload) for n in connection.notifies(timeout=0.5, stop_after=None)]


def test_postgresql_notifies_every_change_with_its_document_keys_session_and_actor(pg_url):
    with Store.open(pg_url, actor="alice") as store:
        listener = _listen(store)
        try:
            document_id = store.import_batch(
                ImportBatch(documents=[NewDocument(text=TEXT)])
            ).document_ids[0]
            _payloads(listener)
            span = add(
                store, document_id, store.ensure_annotator("alice").id, "Claim", "the strike"
            )
            got = [p for p in _payloads(listener) if p["table"] == "annotation"]
            assert got == [
                {
                    "table": "annotation",
                    "op": "insert",
                    "document": document_id,
                    "keys": [span.uuid],
                    "session": store.session,
                    "actor": "alice",
                }
            ]
            store.update_span(span.uuid, note="n")
            store.delete_span(span.uuid)
            assert [(p["table"], p["op"]) for p in _payloads(listener)] == [
                ("annotation", "update"),
                ("annotation", "delete"),
            ]
            store.add_label("Location")
            label = [p for p in _payloads(listener) if p["table"] == "label"]
            assert [(p["op"], p["document"]) for p in label] == [("insert", None)]
            # one notification per document of a many-document import; keys null over 100
            batch = ImportBatch(
                documents=[
                    NewDocument(
                        text=f"doc {n} " + "x" * 200,
                        spans=[NewSpan("Claim", i, i + 1, "alice") for i in range(count)],
                    )
                    for n, count in enumerate((3, 101))
                ]
            )
            ids = store.import_batch(batch).document_ids
            spans = {p["document"]: p for p in _payloads(listener) if p["table"] == "annotation"}
            assert set(spans) == set(ids)
            assert len(spans[ids[0]]["keys"]) == 3 and spans[ids[1]]["keys"] is None
        finally:
            listener.close()


def test_a_change_outside_dossier_is_notified_with_no_session(pg_url):
    import psycopg

    with Store.open(pg_url, actor="alice") as store:
        store.add_label("Location")
        listener = _listen(store)
        schema = store.engine.url.query["options"].split("=", 1)[1]
        try:
            with psycopg.connect(PG_URL, autocommit=True) as outside:
                outside.execute(f'SET search_path = "{schema}"')
                outside.execute("UPDATE label SET colour = '#000000' WHERE name = 'Location'")
            (payload,) = _payloads(listener)
            assert (payload["session"], payload["actor"], payload["op"]) == ("", "", "update")
        finally:
            listener.close()


# --- the migration ---------------------------------------------------------------------------


def test_migration_0006_downgrades_to_nothing_of_it(db_url):
    from alembic import command

    Store.open(db_url).close()
    engine = db.engine.create_project_engine(db.engine.database_url(db_url))
    try:
        config = db.engine.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                triggers = connection.execute(
                    text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'dossier%'")
                ).scalar()
                functions = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n "
                        "ON n.oid = p.pronamespace "
                        "WHERE proname LIKE 'dossier%' AND nspname = current_schema()"
                    )
                ).scalar()
                assert (triggers, functions) == (0, 0)
            tables = set(db.engine.inspect(connection).get_table_names())
        assert not {"history", "presence"} & tables
    finally:
        engine.dispose()
    with Store.open(db_url, actor="bob") as store:  # and up again
        label = store.add_label("Location")
        assert last(store, key=str(label.id)).actor == "bob"


def test_the_trigger_lists_name_every_table():
    assert set(pg_tables()) == {
        "annotation",
        "relation",
        "label",
        "review_decision",
        "document_state",
        "document",
        "entity",
    }
    assert len(sqlite_trigger_names()) == 12
