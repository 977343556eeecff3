"""CoNLL IOB2: one token per line (``token<TAB>tag``), a blank line between sentences.

Each document and annotator becomes one ``-DOCSTART- -X- O O`` section (an annotator who
marked a document done with no spans gives a section of ``O`` tags). Tokens are spaCy's;
whitespace tokens are not written. A span covers every token it touches (a span that
ends inside a word takes the whole word). Tags are ``B-LABEL`` / ``I-LABEL`` / ``O``, with
any whitespace in a label written as ``_``.

IOB cannot express overlap: where spans share a token, ``--overlap`` chooses which ones
are kept (see :data:`desktop.formats.alignment.OVERLAP_RULES`; default ``longest``).

A sentence ends at a line break, and after ``.``, ``!``, ``?`` or ``…`` (and any closing
quotes or brackets after it) followed by a space; never inside a kept span. CoNLL cannot
carry overlapping spans, exact character offsets, relations, attributes, notes, links to
canonical entities or the document's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from db.records import ExportDocument
from desktop.formats.alignment import Tokens, check_overlap_rule, without_overlap
from desktop.formats.base import ExportContext, atomic_output, counted, examples

DOCSTART = "-DOCSTART- -X- O O\n"
_SENTENCE_END = {".", "!", "?", "…", "..."}
_CLOSING = {'"', "'", "”", "’", "»", ")", "]", "}"}
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_WHITESPACE = re.compile(r"\s+")


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """IOB2 sections per document and annotator; see the module's docstring."""
    from desktop.nlp.tokens import tokenize

    rule = check_overlap_rule(context.options.overlap)
    ranks = context.label_ranks()
    tags: dict[str, tuple[str, str]] = {}
    with atomic_output(out, "w", encoding="utf-8", newline="\n") as stream:
        for item in counted(documents, context):
            labelled = examples(item)
            if not labelled:
                continue
            text = item.document.text
            tokens = Tokens.of(tokenize(text, item.document.language))
            words = [text[start:end] for start, end in zip(tokens.starts, tokens.ends, strict=True)]
            starts = sentence_starts(text, tokens, words)
            for _, spans in labelled:
                candidates = []
                for span in spans:
                    covered = tokens.cover(span.start, span.end)
                    if covered is None:
                        context.note("spans of whitespace only (no token to tag)")
                        continue
                    candidates.append((*covered, span.start, span.end, span.label, None))
                kept = without_overlap(candidates, rule, ranks)
                context.note("spans left out where spans overlap", len(candidates) - len(kept))
                context.note(
                    "spans widened to whole tokens",
                    sum(1 for c in kept if not tokens.is_exact(c[0], c[1], c[2], c[3])),
                )
                stream.write(_section(tokens, words, starts, kept, tags))


def sentence_starts(text: str, tokens: Tokens, words: list[str]) -> set[int]:
    """Indices of the tokens that begin a sentence (see the module's docstring)."""
    starts: set[int] = set()
    previous = -1  # the last word token seen
    gap_has_break = False
    gap_has_space = False
    for index, word in enumerate(words):
        if tokens.space[index]:
            gap_has_break = gap_has_break or bool(_LINE_BREAK.search(word))
            gap_has_space = True
            continue
        if previous >= 0:
            if tokens.ends[previous] < tokens.starts[index]:
                gap_has_space = True  # the previous token's trailing space
            if gap_has_break or (gap_has_space and _ends_sentence(words, tokens, previous)):
                starts.add(index)
        previous = index
        gap_has_break = gap_has_space = False
    return starts


def _ends_sentence(words: list[str], tokens: Tokens, index: int) -> bool:
    while index >= 0 and words[index] in _CLOSING:
        index -= 1
    return index >= 0 and not tokens.space[index] and words[index] in _SENTENCE_END


def _section(
    tokens: Tokens,
    words: list[str],
    sentence_start: set[int],
    kept: list,
    tags: dict[str, tuple[str, str]],
) -> str:
    """One ``-DOCSTART-`` section: every word token with its tag, sentences apart."""
    column = ["O"] * len(words)
    inside: set[int] = set()
    for first, last, _, _, label, _ in kept:
        begin, within = tags.get(label) or tags.setdefault(label, _tag_pair(label))
        column[first] = begin
        for index in range(first + 1, last):
            column[index] = within
            inside.add(index)
    lines = [DOCSTART, "\n"]
    started = False
    space = tokens.space
    for index, word in enumerate(words):
        if space[index]:
            continue
        if started and index in sentence_start and index not in inside:
            lines.append("\n")
        lines.append(f"{word}\t{column[index]}\n")
        started = True
    if started:
        lines.append("\n")
    return "".join(lines)


def _tag_pair(label: str) -> tuple[str, str]:
    name = _WHITESPACE.sub("_", label.strip())
    return f"B-{name}", f"I-{name}"
