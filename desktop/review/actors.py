"""Canonical actors as undoable commands, Qt-free: create, edit, merge and split actors,
accept or reject a proposed group of spellings. The window, the command line and tests use
the very same edits.

Each edit says how the actors involved must stand afterwards (:class:`db.records.EntityState`:
names, aliases, type and the spans linking to each) and the store writes that in one
transaction (``Store.put_entities``); undo writes back the states read before. A span that
an edit links to one actor is taken from the actor it linked to before, and that actor's
state is kept for undo too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from db.records import EntityRecord, EntityState, SpanRecord
from db.store import Store, StoreError, new_uuid
from desktop.commands import short

if TYPE_CHECKING:  # the suggestion engine is imported when used: the window opens without it
    from desktop.nlp.actors import Mention, Proposal

ACTOR = "Actor"  # the label whose spans name actors


@dataclass(slots=True)
class ActorChange:
    """What an edit of actors did, for the views to redraw."""

    entity_uuids: tuple[str, ...]  # actors created, changed or removed
    spans: list[tuple[str, int]] = field(default_factory=list)  # (uuid, document id) relinked


class EditActors:
    """Set the actors involved as ``after`` says; undo sets them back as ``before`` was.

    ``created`` are the actors that did not exist before (undo deletes them), ``removed``
    those that do not exist after (redo deletes them again).
    """

    def __init__(
        self,
        store: Store,
        text: str,
        before: Sequence[EntityState],
        after: Sequence[EntityState],
        *,
        created: Sequence[str] = (),
        removed: Sequence[str] = (),
        follow: dict[str, str] | None = None,
    ):
        self.store = store
        self.text = text
        self.before = list(before)
        self.after = list(after)
        self.created = list(created)
        self.removed = list(removed)
        # removed actor -> the actor its spans go to, for spans linked to it meanwhile
        self.follow = dict(follow or {})

    def _uuids(self) -> tuple[str, ...]:
        states = [state.entity.uuid for state in self.before + self.after]
        return tuple(dict.fromkeys(states + self.created + self.removed))

    def apply(self) -> ActorChange:
        spans = self.store.put_entities(self.after, absent=self.removed, follow=self.follow)
        return ActorChange(self._uuids(), spans)

    def undo(self) -> ActorChange:
        spans = self.store.put_entities(self.before, absent=self.created)
        return ActorChange(self._uuids(), spans)

    def redo(self) -> ActorChange:
        return self.apply()


def _plan(
    store: Store,
    text: str,
    after: list[EntityState],
    removed: Sequence[str] = (),
    follow: dict[str, str] | None = None,
) -> EditActors:
    """An edit that leaves ``after`` as it says and deletes ``removed``: reads the states
    before it, and takes the spans ``after`` links from any other actor they linked to."""
    after_uuids = [state.entity.uuid for state in after]
    claimed = {span for state in after for span in state.span_uuids}
    before = store.entity_states(after_uuids + list(removed))
    existing = {state.entity.uuid for state in before}
    others = set(store.linked_entities(claimed).values()) - set(after_uuids) - set(removed)
    for state in store.entity_states(sorted(others)):
        before.append(state)
        after.append(
            EntityState(
                state.entity, tuple(span for span in state.span_uuids if span not in claimed)
            )
        )
    created = [uuid for uuid in after_uuids if uuid not in existing]
    return EditActors(
        store, text, before, after, created=created, removed=list(removed), follow=follow
    )


def _state(store: Store, entity_uuid: str) -> EntityState:
    found = store.entity_states([entity_uuid])
    if not found:
        raise StoreError(f"no actor {entity_uuid}")
    return found[0]


def _new_record(
    name: str,
    *,
    label: str | None = ACTOR,
    aliases: Iterable[str] = (),
    description: str = "",
    type: str | None = None,  # noqa: A002 - the entity's field
) -> EntityRecord:
    name = name.strip()
    return EntityRecord(
        0,
        new_uuid(),
        name,
        label,
        description,
        tuple(sorted({a.strip() for a in aliases if a.strip()} - {name})),
        "",
        type,
    )


def create_actor(
    store: Store,
    name: str,
    *,
    span_uuids: Sequence[str] = (),
    label: str | None = ACTOR,
    aliases: Iterable[str] = (),
    description: str = "",
    type: str | None = None,  # noqa: A002 - the entity's field
) -> EditActors:
    """A new actor named ``name``, the given spans linked to it."""
    if not name.strip():
        raise StoreError("an actor needs a name")
    record = _new_record(name, label=label, aliases=aliases, description=description, type=type)
    return _plan(
        store, f"New actor “{short(record.name)}”", [EntityState(record, tuple(span_uuids))]
    )


def create_actor_from_span(store: Store, span: SpanRecord) -> EditActors:
    """A new actor named by the span's text, the span linked to it; its type is the span's
    ``type`` attribute when it has one."""
    kind = span.attributes.get("type")
    return create_actor(
        store,
        span.text,
        span_uuids=[span.uuid],
        label=span.label,
        type=kind if isinstance(kind, str) and kind else None,
    )


def edit_actor(
    store: Store,
    entity_uuid: str,
    *,
    name: str | None = None,
    aliases: Iterable[str] | None = None,
    description: str | None = None,
    type: str | None | object = ...,  # noqa: A002 - the entity's field
) -> EditActors:
    """Rename an actor, set its aliases, description or type."""
    state = _state(store, entity_uuid)
    entity = state.entity
    changes: dict = {}
    if name is not None:
        if not name.strip():
            raise StoreError("an actor needs a name")
        changes["name"] = name.strip()
    if aliases is not None:
        changes["aliases"] = tuple(sorted({a.strip() for a in aliases if a.strip()}))
    if description is not None:
        changes["description"] = description
    if type is not ...:
        changes["type"] = type or None
    record = replace(entity, **changes)
    record = replace(record, aliases=tuple(a for a in record.aliases if a != record.name))
    what = "Rename" if "name" in changes and changes["name"] != entity.name else "Edit"
    if what == "Rename":
        text = f"Rename actor “{short(entity.name)}” to “{short(record.name)}”"
    else:
        text = f"Edit actor “{short(record.name)}”"
    return _plan(store, text, [EntityState(record, state.span_uuids)])


def delete_actor(store: Store, entity_uuid: str) -> EditActors:
    """Delete an actor; its spans stay, unlinked."""
    state = _state(store, entity_uuid)
    return _plan(store, f"Delete actor “{short(state.entity.name)}”", [], [entity_uuid])


def merge_actors(store: Store, keep_uuid: str, other_uuids: Sequence[str]) -> EditActors:
    """One actor from several: ``keep_uuid`` keeps its name; the others' names and aliases
    become its aliases, their spans link to it, and they are deleted."""
    others = [uuid for uuid in dict.fromkeys(other_uuids) if uuid != keep_uuid]
    if not others:
        raise StoreError("merging needs two different actors")
    keep = _state(store, keep_uuid)
    states = store.entity_states(others)
    if len(states) != len(others):
        raise StoreError("one of the actors to merge no longer exists")
    names = ", ".join(f"“{short(state.entity.name)}”" for state in states)
    return _merge(store, f"Merge {names} into “{short(keep.entity.name)}”", keep, states)


def _merge(
    store: Store,
    text: str,
    keep: EntityState,
    others: Sequence[EntityState],
    names: Iterable[str] = (),
    spans: Iterable[str] = (),
) -> EditActors:
    """``keep`` with the names and aliases of ``others`` and ``names`` as aliases, and the
    spans of ``others`` and ``spans``; its type and description, where it has none, from
    the first of the others that has one. The others are deleted."""
    entity = keep.entity
    aliases = set(entity.aliases) | set(names)
    linked = list(keep.span_uuids)
    for state in others:
        aliases.update((state.entity.name, *state.entity.aliases))
        linked.extend(state.span_uuids)
        if entity.type is None and state.entity.type:
            entity = replace(entity, type=state.entity.type)
        if not entity.description and state.entity.description:
            entity = replace(entity, description=state.entity.description)
    aliases.discard(entity.name)
    linked.extend(spans)
    entity = replace(entity, aliases=tuple(sorted(aliases)))
    removed = [state.entity.uuid for state in others]
    return _plan(
        store,
        text,
        [EntityState(entity, tuple(dict.fromkeys(linked)))],
        removed,
        follow=dict.fromkeys(removed, entity.uuid),
    )


def split_alias(store: Store, entity_uuid: str, alias: str) -> EditActors:
    """Take an alias out of an actor into an actor of its own, with the mentions written
    that way (the words of the span, spaces around them aside)."""
    state = _state(store, entity_uuid)
    alias = alias.strip()
    if alias not in state.entity.aliases:
        raise StoreError(f"“{alias}” is not an alias of “{state.entity.name}”")
    moving = {
        mention.span_uuid
        for mention in store.actor_mentions(entity_uuid)
        if mention.text.strip() == alias
    }
    kept = replace(state.entity, aliases=tuple(a for a in state.entity.aliases if a != alias))
    new = _new_record(alias, label=state.entity.label, type=state.entity.type)
    return _plan(
        store,
        f"Take “{short(alias)}” out of “{short(state.entity.name)}”",
        [
            EntityState(kept, tuple(s for s in state.span_uuids if s not in moving)),
            EntityState(new, tuple(sorted(moving))),
        ],
    )


def split_mention(store: Store, span: SpanRecord) -> EditActors:
    """Take one mention out of its actor into a new actor named by its text."""
    if span.entity_uuid is None:
        raise StoreError(f"“{short(span.text)}” links to no actor")
    state = _state(store, span.entity_uuid)
    new = _new_record(span.text, label=state.entity.label, type=state.entity.type)
    return _plan(
        store,
        f"Take mention “{short(span.text)}” out of “{short(state.entity.name)}”",
        [EntityState(new, (span.uuid,))],
    )


# --- proposed groups --------------------------------------------------------------------


def mentions(store: Store, label: str = ACTOR) -> list[Mention]:
    """The names a suggestion works from: the distinct texts of accepted spans of
    ``label`` (with the actor they link to, the most linked when several) and every
    actor's name and aliases."""
    from desktop.nlp.actors import Mention

    by_text: dict[str, dict[str | None, int]] = {}
    for text, entity_uuid, count in store.mention_texts(label):
        text = text.strip()
        if text:
            links = by_text.setdefault(text, {})
            links[entity_uuid] = links.get(entity_uuid, 0) + count
    for summary in store.actor_summaries(label):
        for name in (summary.name, *summary.aliases):
            by_text.setdefault(name, {}).setdefault(summary.uuid, 0)
    result = []
    for text in sorted(by_text):
        links = by_text[text]
        total = sum(links.values())
        linked = [(count, uuid) for uuid, count in links.items() if uuid is not None]
        entity = max(linked, key=lambda item: (item[0], item[1]))[1] if linked else None
        result.append(Mention(text, total, entity))
    return result


def suggest(store: Store, *, label: str = ACTOR, min_score: float = 0.0) -> list[Proposal]:
    """Groups of names that look like one actor, best first; pairs rejected before are
    never proposed together again."""
    from desktop.nlp.actors import propose

    return propose(mentions(store, label), rejected=store.rejected_pairs(), min_score=min_score)


def canonical_name(names: Sequence[str]) -> str:
    """The name a new actor from a group takes: the fullest once titles and a leading “the”
    are set aside (most words, then longest), as in “Abu Baqir al-Saadi” over “Abu Baqer”
    and “Islamic Revolutionary Guard Corps” over “IRGC”; of two names alike but for a
    title, the one without it (“Joe Biden” over “President Joe Biden”). A short form in
    brackets after the name is left out of it (“US Central Command (CENTCOM)” gives “US
    Central Command”; the group's names stay its aliases). ``names`` come most mentioned
    first, which breaks ties."""
    from desktop.nlp.actors import TITLES

    def untitled(name: str) -> list[str]:
        words = _without_brackets(name).split()
        dropped = True
        while dropped and len(words) > 1:
            dropped = False
            if words[0].lower() == "the":
                words, dropped = words[1:], True
                continue
            for size in (3, 2, 1):
                head = " ".join(words[:size]).lower().replace(".", "")
                if len(words) > size and head in TITLES:
                    words, dropped = words[size:], True
                    break
        return words

    def rank(name: str) -> tuple:
        words = untitled(name)
        titles = len(_without_brackets(name).split()) - len(words)
        return (len(words), -titles, len(" ".join(words)), -names.index(name))

    return _without_brackets(max(names, key=rank))


def _without_brackets(name: str) -> str:
    """A name without a bracketed short form after it: “US Central Command (CENTCOM)” is
    “US Central Command”; a name that is all brackets stays as it is."""
    name = name.strip()
    if name.endswith(")") and "(" in name:
        head = name[: name.rindex("(")].strip()
        if head:
            return head
    return name


def accept_proposal(
    store: Store, proposal: Proposal, *, into: str | None = None, label: str = ACTOR
) -> EditActors:
    """Make a proposed group one actor: ``into`` (or the group's first actor) gains the
    others' names as aliases and all their spans, and the group's other actors merge into
    it; with no actor in the group, a new one is made, named by :func:`canonical_name`.
    Spans of ``label`` written as any name of the group and linked to no actor are linked."""
    actors = list(dict.fromkeys(([into] if into else []) + list(proposal.entity_uuids)))
    unlinked = store.unlinked_span_uuids(label, proposal.names)
    if not actors:
        name = canonical_name(proposal.names)
        record = _new_record(name, label=label, aliases=proposal.names)
        return _plan(
            store,
            f"New actor “{short(name)}” from {len(proposal.names)} names",
            [EntityState(record, tuple(unlinked))],
        )
    keep = _state(store, actors[0])
    return _merge(
        store,
        f"Add {len(proposal.names)} names to “{short(keep.entity.name)}”",
        keep,
        store.entity_states(actors[1:]),
        proposal.names,
        unlinked,
    )


class RejectProposal:
    """Say a proposed group is not one actor: each pair of its names is remembered, and not
    proposed together again. Undo forgets the pairs this remembered."""

    def __init__(self, store: Store, proposal: Proposal):
        self.store = store
        self.proposal = proposal
        self.pairs = [tuple(sorted(pair)) for pair in proposal.pairs]
        if not self.pairs:
            from desktop.nlp.actors import name_key

            keys = sorted({name_key(name) for name in proposal.names})
            self.pairs = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]]
        self.added: list[tuple[str, str]] = []
        self.text = f"Reject “{short(' / '.join(proposal.names))}”"

    def apply(self) -> ActorChange:
        self.added = self.store.add_rejected_pairs(self.pairs)
        return ActorChange(self.proposal.entity_uuids)

    def undo(self) -> ActorChange:
        self.store.remove_rejected_pairs(self.added)
        return ActorChange(self.proposal.entity_uuids)

    def redo(self) -> ActorChange:
        return self.apply()
