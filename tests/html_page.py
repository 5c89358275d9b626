"""A page read as a person's browser would hold it: a small tree of elements (the standard library's parser, no
extra dependency), to assert on elements and their attributes rather than on bits of text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

from django.utils import timezone


def local_input(moment: datetime) -> str:
    """What a datetime-local input sends for `moment`, in the current (the site's, the browser's) time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Elements below this one by tag and attribute values (`class_` for a class it has)."""
        wanted_class = attrs.pop("class_", None)
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and all(element.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())
            and (wanted_class is None or wanted_class in element.classes)
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def closest(self, tag: str) -> Element | None:
        return next((a for a in self.ancestors() if a.tag == tag), None)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join("".join(parts).split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {n: v or "" for n, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open element; a stray end tag is ignored, as browsers do.
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Element:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def by_id(page: Element, element_id: str) -> Element | None:
    return page.find(id=element_id)


def label_of(page: Element, control: Element) -> Element | None:
    """The label that names a form control: one whose `for` is its id, else one around it."""
    element_id = control.get("id")
    if element_id:
        for label in page.find_all("label"):
            if label.get("for") == element_id:
                return label
    return control.closest("label")


def form_controls(form: Element) -> list[Element]:
    """What a person fills in: inputs (not hidden, not buttons), selects and text areas."""
    skip = {"hidden", "submit", "button", "reset", "image"}
    return [
        element
        for element in form.iter()
        if element.tag in ("select", "textarea") or (element.tag == "input" and element.get("type", "text") not in skip)
    ]


# --- Tables on a phone: every cell names its column (the stylesheet shows it as "label  value") ---------


def _headers(table: Element) -> list[tuple[str, bool]]:
    """The column headers (text, visually hidden?), a colspan counted once per column it covers."""
    thead = table.find("thead")
    if thead is None:
        return []
    columns = []
    for th in thead.find_all("th"):
        hidden = any("visually-hidden" in e.classes for e in th.iter())
        columns += [(th.text, hidden)] * int(th.get("colspan") or 1)
    return columns


def assert_cells_labelled(page: Element) -> int:
    """Every data cell of every table in the page's main part has a data-label: its column's header (empty
    only under a header that is out of sight, such as "Actions"); a table without a header row at least a
    label. Rows of one cell spanning the table (an empty list's sentence) and group headings are skipped.
    Returns the number of cells checked."""
    checked = 0
    main = page.find("main")
    assert main is not None
    for table in main.find_all("table"):
        headers = _headers(table)
        if "keep-columns" in table.classes:
            assert len(headers) <= 3, "only a table of a few narrow columns may keep them on a phone"
        for row in table.find_all("tr"):
            if row.closest("thead") is not None or row.find("th") is not None:
                continue
            cells = row.find_all("td")
            if len(cells) == 1 and int(cells[0].get("colspan") or 1) > 1:
                continue
            for index, cell in enumerate(cells):
                label = cell.get("data-label")
                assert label is not None, f"a cell without data-label: {cell.text!r} in {table.text[:80]!r}"
                if headers:
                    text, hidden = headers[index]
                    assert label == text or (hidden and label == ""), (label, text)
                else:
                    assert label
                checked += 1
    return checked
