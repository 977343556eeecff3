"""The annotation guidelines as the project writes them: each label's description, key and
colour, its attributes (kinds, values, descriptions) and its relations (targets,
descriptions), as rich text for the Guidelines dock and for the palette's tooltips. It
follows every label and schema edit."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from db.records import LabelRecord
from db.schema import AttributeSpec, RelationSpec

KIND_NAMES = {
    "choice": "choice",
    "text": "text",
    "date": "date (2024-02-03, 2024-W05, 2024-02 or 2024)",
    "number": "number",
    "yesno": "yes or no",
}
NO_DESCRIPTION = "No description yet: Edit → Labels… (Ctrl+L), then Description…"


def _text(value: str) -> str:
    """Plain text as rich text: escaped, its line breaks kept."""
    return "<br>".join(html.escape(line) for line in value.strip().splitlines())


def label_keys(label: LabelRecord, number: int | None) -> list[str]:
    """The keys that tag with a label: its letter and its number in the palette (1–9)."""
    keys = [label.shortcut.upper()] if label.shortcut else []
    if number is not None and number <= 9:
        keys.append(str(number))
    return keys


def _attribute(spec: AttributeSpec) -> str:
    kind = KIND_NAMES.get(spec.kind, spec.kind)
    if spec.kind == "choice" and spec.values:
        kind += ": " + ", ".join(html.escape(value) for value in spec.values)
    if spec.required:
        kind += "; required"
    line = f"<b>{html.escape(spec.name)}</b> <i>({kind})</i>"
    if spec.description.strip():
        line += f" — {_text(spec.description)}"
    return f"<li>{line}</li>"


def _relation(spec: RelationSpec) -> str:
    targets = ", ".join(html.escape(target) for target in spec.targets) or "any span"
    notes = ["several" if spec.many else "one"]
    if spec.required:
        notes.append("required")
    if spec.key:
        notes.append(f"Alt+{html.escape(spec.key.upper())}")
    line = f"<b>{html.escape(spec.type)}</b> → {targets} <i>({'; '.join(notes)})</i>"
    if spec.description.strip():
        line += f" — {_text(spec.description)}"
    return f"<li>{line}</li>"


def label_guidelines_html(
    label: LabelRecord, number: int | None = None, *, heading: str = "h3"
) -> str:
    """One label's guidelines as rich text: its name and keys, its description, then its
    attributes and relations with theirs."""
    keys = " · ".join(label_keys(label, number))
    colour = html.escape(label.colour or "#888888")
    title = (
        f"<{heading} style='margin-bottom:2px'><span style='color:{colour}'>■</span> "
        f"{html.escape(label.name)}"
    )
    if keys:
        title += f" <span style='font-weight:normal; color:gray'>&nbsp;{keys}</span>"
    parts = [title + f"</{heading}>"]
    if label.description.strip():
        parts.append(f"<p style='margin-top:0'>{_text(label.description)}</p>")
    else:
        parts.append(
            f"<p style='margin-top:0; color:gray'><i>{html.escape(NO_DESCRIPTION)}</i></p>"
        )
    schema = label.schema
    if schema.attributes:
        parts.append("<p style='margin-bottom:0'>Attributes</p><ul style='margin-top:0'>")
        parts.extend(_attribute(spec) for spec in schema.attributes)
        parts.append("</ul>")
    if schema.relations:
        parts.append("<p style='margin-bottom:0'>Relations</p><ul style='margin-top:0'>")
        parts.extend(_relation(spec) for spec in schema.relations)
        parts.append("</ul>")
    return "".join(parts)


def label_tooltip(label: LabelRecord, number: int | None = None) -> str:
    """The palette's tooltip for a label: its guidelines, wrapped to a readable width."""
    # A table of fixed width is what makes Qt's rich-text tooltip wrap long descriptions.
    return (
        "<table width='380'><tr><td>"
        + label_guidelines_html(label, number, heading="h4")
        + "</td></tr></table>"
    )


def guidelines_html(labels: list[LabelRecord]) -> str:
    """Every label's guidelines in the palette's order."""
    if not labels:
        return "<p>This project has no labels yet: Edit → Labels… (Ctrl+L) adds them.</p>"
    body = "<hr>".join(
        label_guidelines_html(label, number) for number, label in enumerate(labels, start=1)
    )
    return (
        "<p style='color:gray'>What each label, attribute and relation means, as written in "
        "Edit → Labels… (Ctrl+L). Hover a label in the palette to see its part.</p>" + body
    )


class GuidelinesPanel(QWidget):
    """The Guidelines dock: every label's guidelines as one page of rich text."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.dock = None
        self.text = QTextBrowser(self)
        self.text.setObjectName("guidelines-text")
        self.text.setOpenLinks(False)
        # The right dock area is shared with the palette and the span panel: without a
        # floor the panel may open squeezed to its title.
        self.text.setMinimumHeight(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text)
        self.session.labelsChanged.connect(self._on_session_labels_changed)
        self.show_labels(self.session.labels)

    # --- public API --------------------------------------------------------------------------

    def show_labels(self, labels: list[LabelRecord]) -> None:
        scroll = self.text.verticalScrollBar().value()
        self.text.setHtml(guidelines_html(list(labels)))
        self.text.verticalScrollBar().setValue(scroll)

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def on_shown(self) -> None:
        self.text.setFocus()

    # --- slots -------------------------------------------------------------------------------

    def _on_session_labels_changed(self, labels) -> None:
        self.show_labels(labels)
