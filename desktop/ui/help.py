"""Help: the keyboard shortcuts, and About."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__

SHORTCUTS = (
    (
        "Tagging",
        (
            ("Select text", "drag with the mouse, or Shift+←/→ (whole words); Shift+↑/↓ by line"),
            ("Select exact characters", "hold Ctrl while dragging, or Alt+Shift+←/→"),
            (
                "Tag the selection",
                "the label's letter (C, A, E…) or its number (1–9), or click the label",
            ),
            (
                "Select a span",
                "click it (click again to reach a nested one); Tab / Shift+Tab: next / previous span",
            ),
            ("Relabel the selected span", "the label's key"),
            ("Delete the selected span", "Delete"),
            ("Clear the selection", "Esc"),
        ),
    ),
    (
        "Records: attributes and relations",
        (
            ("Edit the selected span's fields (type, date, stance…)", "F2, then Tab; Esc returns"),
            (
                "Link the selected span (its keys are shown in the span panel)",
                "Alt+letter: Alt+S source, Alt+B about, Alt+G agent, Alt+T target, Alt+L location",
            ),
            ("Pick the other end", "click a span, or ↑/↓ and Enter (or 1–9) in the list"),
            ("Cancel a link half made", "Esc"),
            ("Remove a link", "Delete in the span panel's list of links"),
            ("Next incomplete record (a required field or link missing)", "F8"),
        ),
    ),
    (
        "Linking actor spans to actors",
        (
            (
                "Link the selected Actor span to an actor (a list ranked as you type)",
                "Ctrl+K, then type, ↑/↓ and Enter; Esc cancels",
            ),
            (
                "In that list: a new actor named by the span / unlink the span",
                "Ctrl+N / Ctrl+Backspace",
            ),
            ("A new actor named by the selected span, linked to it", "Ctrl+Shift+K"),
            ("Linked spans carry a dot at their end; Actor spans linked to none a ring", ""),
        ),
    ),
    (
        "The Actors panel",
        (
            (
                "Show it and find an actor by name or alias",
                "Ctrl+Shift+A, type; ↓ or Enter: to the list",
            ),
            ("Rename the current actor", "F2, type, Enter; Esc puts the name back"),
            ("Merge the selected actors into the one selected first", "Ctrl+M"),
            ("Delete the current actor (its spans stay, unlinked)", "Delete"),
            ("Open a mention in its document", "Enter or double-click in the mentions"),
            (
                "Proposed spellings: accept / into an actor… / reject",
                "Enter / Shift+Enter / Backspace",
            ),
            ("Next / previous proposed group", "Space / Shift+Space"),
        ),
    ),
    (
        "Suggestions",
        (
            ("Accept the suggestion at the cursor", "Enter"),
            ("Reject it", "Backspace"),
            ("Accept / reject all in this document", "Ctrl+Shift+Enter / Ctrl+Shift+Backspace"),
            ("Suggest in this document / in every document (rules)", "Ctrl+G / Ctrl+Shift+G"),
            ("Train a model from the accepted spans", "Ctrl+Shift+T"),
        ),
    ),
    (
        "Documents",
        (
            ("Mark done / in progress", "Ctrl+D / Ctrl+Shift+D"),
            ("Next / previous unfinished document", "Ctrl+PgDown / Ctrl+PgUp"),
            ("Go to a document", "Ctrl+P (the filter box)"),
        ),
    ),
    (
        "Finding",
        (
            ("Find in the document", "Ctrl+F"),
            ("Next / previous hit", "F3 / Shift+F3, or Enter / Shift+Enter in the find bar"),
            ("Close the find bar (the hit stays selected: a label's key tags it)", "Esc"),
            ("Search every document", "Ctrl+Shift+F, type, Enter; ↓: to the hits"),
            ("Open the hit", "Enter or double-click"),
            ("Check the hit / tag the checked hits (or this one)", "Space / the label's key"),
        ),
    ),
    (
        "Across the corpus",
        (
            ("Timeline / network / outlets / guidelines", "Ctrl+Shift+E / N / O / H"),
            ("Timeline: next / previous event; open it", "→ / ←; Enter"),
            ("Timeline: zoom in / out (or the wheel; drag to pan)", "Ctrl+= / Ctrl+-"),
            (
                "Network: zoom in / out; the whole network (or the wheel; drag to pan)",
                "Ctrl+= / Ctrl+-; Ctrl+0",
            ),
            ("Network: open the record of a clicked actor or link", "Enter or double-click"),
            ("Outlets: from the filter to the list", "↓ or Enter"),
            ("Outlets: open the report", "Enter or double-click"),
        ),
    ),
    (
        "History",
        (
            ("Show who changed what and when in this document", "Ctrl+Shift+Y"),
            (
                "Restore the version before the selected change / right after it "
                "(Ctrl+Z undoes it)",
                "Enter / Shift+Enter",
            ),
            ("Only the selected span's changes / the whole project's", "S / W"),
            (
                "A colleague changed the span first: keep theirs / apply mine on top / edit",
                "T (or Esc) / M / E",
            ),
        ),
    ),
    (
        "Layers and review",
        (
            ("Next layer view (mine, each annotator, gold, several)", "Ctrl+Shift+L"),
            ("Review mode: compare annotators", "Ctrl+R"),
            ("In the review list: take the side of annotator 1, 2, …", "1–9"),
            ("Keep an agreed span, or a missing span's only reading", "Enter"),
            ("Edit: adjust the selection in the document, press a label's key", "E"),
            ("Reject (nothing goes into gold)", "Backspace or Delete"),
            ("Next / previous pending item", "Space / Shift+Space"),
            ("Accept all agreed items", "A"),
            ("Agreement table and chart", "Ctrl+Shift+R"),
        ),
    ),
    (
        "Everything",
        (
            ("Undo / redo any change", "Ctrl+Z / Ctrl+Shift+Z"),
            ("Import / export", "Ctrl+I / Ctrl+E"),
            ("Labels / preferences", "Ctrl+L / Ctrl+,"),
            ("A change that was not saved: try it again / dismiss the message", "F5 / Esc"),
        ),
    ),
)


def shortcuts_html() -> str:
    parts = []
    for section, rows in SHORTCUTS:
        parts.append(f"<h3>{section}</h3><table cellspacing='4'>")
        parts.extend(f"<tr><td>{what}</td><td><b>{keys}</b></td></tr>" for what, keys in rows)
        parts.append("</table>")
    return "".join(parts)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 560)
        browser = QTextBrowser(self)
        browser.setHtml(shortcuts_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        "About Dossier",
        f"<h3>Dossier {__version__}</h3>"
        "<p>Tag claims, actors and events in news articles, review one another's tags and "
        "export labelled datasets. Everything stays on your machine.</p>",
    )
