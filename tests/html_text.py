"""Reading a page as a person (or a screen reader) would: the text of an
element by id, each table as rows of cell texts with its caption, and each
form as the browser would submit it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"})


@dataclass
class Table:
    caption: str = ""
    labelledby: str = ""
    rows: list[list[str]] = field(default_factory=list)
    header_rows: list[list[str]] = field(default_factory=list)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self.open_ids: list[tuple[str, str, list[str]]] = []  # (tag, id, text parts)
        self.tables: list[Table] = []
        self.table_stack: list[Table] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.caption: list[str] | None = None
        self.in_thead = False
        self.depth: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in VOID:
            self.depth.append(tag)
            if attributes.get("id"):
                self.open_ids.append((tag, attributes["id"] or "", []))
        if tag == "table":
            table = Table(labelledby=attributes.get("aria-labelledby") or "")
            self.tables.append(table)
            self.table_stack.append(table)
        elif tag == "caption":
            self.caption = []
        elif tag == "thead":
            self.in_thead = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.open_ids and self.open_ids[-1][0] == tag and self.depth and self.depth[-1] == tag:
            _, element_id, parts = self.open_ids.pop()
            self.by_id[element_id] = _clean("".join(parts))
            if self.open_ids:
                self.open_ids[-1][2].extend(parts)
        if self.depth:
            self.depth.pop()
        table = self.table_stack[-1] if self.table_stack else None
        if tag == "caption" and table is not None and self.caption is not None:
            table.caption = _clean("".join(self.caption))
            self.caption = None
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(_clean("".join(self.cell)))
            self.cell = None
        elif tag == "tr" and table is not None and self.row is not None:
            (table.header_rows if self.in_thead else table.rows).append(self.row)
            self.row = None
        elif tag == "thead":
            self.in_thead = False
        elif tag == "table" and self.table_stack:
            self.table_stack.pop()

    def handle_data(self, data: str) -> None:
        if self.open_ids:
            self.open_ids[-1][2].append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.caption is not None:
            self.caption.append(data)


def read_page(html: str) -> tuple[dict[str, str], list[Table]]:
    """(text of every element with an id, every table) of ``html``."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.by_id, reader.tables


def table(tables: list[Table], name: str) -> Table:
    """The table whose caption is ``name`` or that is labelled by the element ``name``."""
    for candidate in tables:
        if name in (candidate.caption, candidate.labelledby):
            return candidate
    raise AssertionError(f"no table {name!r}")


class FormReader(HTMLParser):
    """The successful controls of each form on a page (inputs, ticked boxes,
    text areas, chosen options), as a browser submits them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._open = False
        self._form_id: str | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append([])
            self._open = True
            self._form_id = attr.get("id")
        elif not self._open or "disabled" in attr:
            return
        elif "form" in attr and attr["form"] != self._form_id:
            return  # a control of another form (the form attribute), as a browser reads it
        elif tag == "input" and "name" in attr:
            if attr.get("type") not in ("checkbox", "radio") or "checked" in attr:
                self.forms[-1].append((attr["name"], attr.get("value", "")))
        elif tag == "select":
            self._select = attr.get("name")
        elif tag == "option" and self._select and "selected" in attr:
            self.forms[-1].append((self._select, attr.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = attr.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1].append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None

    def main_form(self) -> list[tuple[str, str]]:
        """The form of the page's content: the one with the most controls (the
        others are "Sign out" and the one-button forms of evidence files)."""
        assert self.forms, "no form on the last page"
        return max(self.forms, key=len)
