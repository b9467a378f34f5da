"""The package parts a surgical write edits — ``xl/workbook.xml``, relationships, ``[Content_Types].xml`` —
read with an XML parser and written back with the smallest change.

Any valid spelling is read: either quote style, namespace prefixes (``<x:sheet>``), entities and character
references in names, attributes in any order. Relationships and content types are small, flat and carry no
markup-compatibility attributes, so they are parsed and written anew whole. ``xl/workbook.xml`` is not: it may
carry extensions and ``mc:Ignorable`` prefixes that must survive exactly, so only the elements arxl answers for
are replaced in the original text — ``<sheets>``, ``<definedNames>`` (inserted where the schema wants it when
absent), the ``fullCalcOnLoad`` flag of ``<calcPr>`` and the ``activeTab``/``firstSheet`` of the workbook views —
each written with the prefix the document already uses for its namespace. Everything else stays byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeXml

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_XML = "http://www.w3.org/XML/1998/namespace"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# CT_Workbook's children come in this order; an element arxl inserts goes after the last present predecessor.
_BEFORE_DEFINED_NAMES = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                         "functionGroups", "externalReferences")
_BEFORE_CALC = (*_BEFORE_DEFINED_NAMES, "definedNames")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


# --- relationships and content types ----------------------------------------------------------------------

@dataclass
class Relationship:
    id: str
    type: str
    target: str
    external: bool = False


@dataclass
class Relationships:
    """A ``.rels`` part as a list, in document order."""

    items: list[Relationship] = field(default_factory=list)

    @classmethod
    def parse(cls, data: str | bytes | None) -> Relationships:
        if not data:
            return cls()
        root = SafeXml.fromstring(data)
        return cls([Relationship(element.get("Id", ""), element.get("Type", ""), element.get("Target", ""),
                                 element.get("TargetMode", "") == "External")
                    for element in root if _local(element.tag) == "Relationship"])

    def target(self, rid: str) -> str | None:
        return next((item.target for item in self.items if item.id == rid), None)

    def add(self, kind: str, target: str) -> str:
        numbers = [int(item.id[3:]) for item in self.items if re.fullmatch(r"rId\d+", item.id)]
        rid = f"rId{max([0, *numbers]) + 1}"
        while any(item.id == rid for item in self.items):
            rid += "x"
        self.items.append(Relationship(rid, kind, target))
        return rid

    def remove(self, rid: str) -> None:
        self.items = [item for item in self.items if item.id != rid]

    def to_xml(self) -> str:
        rows = "".join(f'<Relationship Id={quoteattr(item.id)} Type={quoteattr(item.type)} '
                       f'Target={quoteattr(item.target)}' + (' TargetMode="External"' if item.external else "")
                       + "/>" for item in self.items)
        return f'{XML_DECLARATION}<Relationships xmlns="{NS_PACKAGE_RELS}">{rows}</Relationships>'


@dataclass
class ContentTypes:
    """``[Content_Types].xml``: defaults by extension and overrides by part name, in document order."""

    defaults: list[tuple[str, str]] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: str | bytes | None) -> ContentTypes:
        types = cls()
        if not data:
            return types
        for element in SafeXml.fromstring(data):
            if _local(element.tag) == "Default":
                types.defaults.append((element.get("Extension", ""), element.get("ContentType", "")))
            elif _local(element.tag) == "Override":
                types.overrides[element.get("PartName", "")] = element.get("ContentType", "")
        return types

    def override(self, part: str, content_type: str) -> None:
        self.overrides.setdefault("/" + part.lstrip("/"), content_type)

    def drop(self, part: str) -> None:
        self.overrides.pop("/" + part.lstrip("/"), None)

    def to_xml(self) -> str:
        """Overrides of arxl's own parts (``arxl-...``) last and sorted, so the same sheets give the same
        bytes."""
        own = sorted(part for part in self.overrides if "/arxl-" in part)
        others = [part for part in self.overrides if "/arxl-" not in part]
        rows = "".join(f"<Default Extension={quoteattr(extension)} ContentType={quoteattr(kind)}/>"
                       for extension, kind in self.defaults)
        rows += "".join(f"<Override PartName={quoteattr(part)} ContentType={quoteattr(self.overrides[part])}/>"
                        for part in [*others, *own])
        return f'{XML_DECLARATION}<Types xmlns="{NS_TYPES}">{rows}</Types>'


# --- workbook.xml ---------------------------------------------------------------------------------------------

@dataclass
class SheetElement:
    """One ``<sheet>``: name, ``sheetId``, relationship id, visibility (``state``), other attributes as parsed
    (``{namespace}name`` -> value)."""

    name: str
    sheet_id: int
    rid: str
    state: str = ""
    other: dict[str, str] = field(default_factory=dict)


@dataclass
class DefinedName:
    """One ``<definedName>``: name, sheet position (``localSheetId``) or None, formula text, other attributes."""

    name: str
    local: int | None
    text: str
    hidden: bool = False
    other: dict[str, str] = field(default_factory=dict)


class WorkbookXml:
    """``xl/workbook.xml`` parsed, editable, and written back around what did not change."""

    def __init__(self, text: str):
        self.text = text
        root = SafeXml.fromstring(text.encode("utf-8"))
        self.prefixes = _declared_prefixes(text)
        self.sheets: list[SheetElement] = []
        self.names: list[DefinedName] = []
        for child in root:
            local = _local(child.tag)
            if local == "sheets":
                for sheet in child:
                    if _local(sheet.tag) != "sheet":
                        continue
                    attributes = dict(sheet.attrib)
                    rid = attributes.pop(f"{{{NS_REL}}}id", "")
                    name = attributes.pop("name", "")
                    sheet_id = int(attributes.pop("sheetId", "0"))
                    self.sheets.append(SheetElement(name, sheet_id, rid, attributes.pop("state", ""), attributes))
            elif local == "definedNames":
                for name in child:
                    if _local(name.tag) != "definedName":
                        continue
                    attributes = dict(name.attrib)
                    local_id = attributes.pop("localSheetId", None)
                    hidden = attributes.pop("hidden", "0").lower() in ("1", "true")
                    self.names.append(DefinedName(attributes.pop("name", ""),
                                                  int(local_id) if local_id is not None else None,
                                                  name.text or "", hidden, attributes))
        self.date1904 = any(_local(child.tag) == "workbookPr" and child.get("date1904", "0").lower()
                            in ("1", "true") for child in root)

    def render(self, *, old_positions: dict[int, int | None] | None = None, full_calc: bool = True) -> str:
        """The workbook part with the current sheets and names. ``old_positions`` maps each old sheet position to
        its new one (None: removed), for the workbook views' ``activeTab`` and ``firstSheet``."""
        text = self.text
        prefix = self.prefixes.get(NS_MAIN, "")
        sheets_xml = self._sheets_xml(prefix)
        text = _replace_element(text, "sheets", sheets_xml) or text
        names_xml = self._names_xml(prefix)
        replaced = _replace_element(text, "definedNames", names_xml)
        if replaced is not None:
            text = replaced
        elif names_xml:
            text = _insert_child(text, names_xml, _BEFORE_DEFINED_NAMES)
        if full_calc:
            text = self._full_calc(text, prefix)
        if old_positions:
            text = _remap_views(text, old_positions)
        return text

    def _attributes(self, other: dict[str, str]) -> str:
        """Parsed attributes written back: a namespaced one with the document's prefix for its namespace, or,
        when the root declares none, with a prefix declared on the element itself."""
        parts = []
        undeclared: dict[str, str] = {}
        for key, value in other.items():
            namespace, local = _namespace(key), _local(key)
            if not namespace:
                name = local
            elif namespace == NS_XML:
                name = f"xml:{local}"
            elif self.prefixes.get(namespace):
                name = f"{self.prefixes[namespace]}{local}"
            else:
                prefix = undeclared.setdefault(namespace, f"ns{len(undeclared)}")
                name = f"{prefix}:{local}"
            parts.append(f" {name}={quoteattr(value)}")
        declarations = "".join(f" xmlns:{prefix}={quoteattr(namespace)}"
                               for namespace, prefix in undeclared.items())
        return declarations + "".join(parts)

    def _sheets_xml(self, prefix: str) -> str:
        relation = self.prefixes.get(NS_REL)
        declaration = "" if relation else f' xmlns:r="{NS_REL}"'
        relation = relation or "r:"
        rows = []
        for sheet in self.sheets:
            state = f' state="{sheet.state}"' if sheet.state else ""
            rows.append(f"<{prefix}sheet name={quoteattr(sheet.name)} sheetId=\"{sheet.sheet_id}\"{state}"
                        f"{self._attributes(sheet.other)} {relation}id={quoteattr(sheet.rid)}/>")
        return f"<{prefix}sheets{declaration}>{''.join(rows)}</{prefix}sheets>"

    def _names_xml(self, prefix: str) -> str:
        if not self.names:
            return ""
        rows = []
        for name in self.names:
            local = f' localSheetId="{name.local}"' if name.local is not None else ""
            hidden = ' hidden="1"' if name.hidden else ""
            rows.append(f"<{prefix}definedName name={quoteattr(name.name)}{local}{hidden}"
                        f"{self._attributes(name.other)}>{escape(name.text)}</{prefix}definedName>")
        return f"<{prefix}definedNames>{''.join(rows)}</{prefix}definedNames>"

    def _full_calc(self, text: str, prefix: str) -> str:
        """Ask Excel to recalculate on open, so the live formulas of generated sheets are fresh."""
        match = re.search(r"<(?:[\w.-]+:)?calcPr\b[^>]*?/?>", text)
        if match is None:
            return _insert_child(text, f'<{prefix}calcPr calcId="191029" fullCalcOnLoad="1"/>', _BEFORE_CALC)
        element = match.group(0)
        flag = re.search(r"""\bfullCalcOnLoad\s*=\s*(["'])(.*?)\1""", element)
        if flag is not None:
            if flag.group(2) in ("1", "true"):
                return text
            fixed = element.replace(flag.group(0), 'fullCalcOnLoad="1"')
        else:
            closing = "/>" if element.endswith("/>") else ">"
            fixed = element[:-len(closing)].rstrip() + ' fullCalcOnLoad="1"' + closing
        return text[:match.start()] + fixed + text[match.end():]


def _declared_prefixes(text: str) -> dict[str, str]:
    """Namespace -> ``prefix:`` ("" for the default namespace) as declared on the root element."""
    root = re.search(r"<(?!\?|!)[^>]*>", text)
    found: dict[str, str] = {}
    if root is None:
        return found
    for prefix, _quote, uri in re.findall(r"""\bxmlns(?::([\w.-]+))?\s*=\s*(["'])(.*?)\2""", root.group(0)):
        found.setdefault(_unescape(uri), f"{prefix}:" if prefix else "")
    return found


def _unescape(text: str) -> str:
    return SafeXml.fromstring(f"<v>{text}</v>").text or ""


def _element_span(text: str, local: str) -> tuple[int, int] | None:
    """Where the first element named ``local`` (any prefix) starts and ends in ``text``."""
    start = re.search(rf"<(?:([\w.-]+):)?{local}(?=[\s/>])[^>]*?(/?)>", text)
    if start is None:
        return None
    if start.group(2):
        return start.start(), start.end()
    prefix = f"{start.group(1)}:" if start.group(1) else ""
    end = re.compile(rf"</{re.escape(prefix)}{local}\s*>").search(text, start.end())
    if end is None:
        return None
    return start.start(), end.end()


def _replace_element(text: str, local: str, replacement: str) -> str | None:
    span = _element_span(text, local)
    if span is None:
        return None
    return text[:span[0]] + replacement + text[span[1]:]


def _insert_child(text: str, xml: str, predecessors: tuple[str, ...]) -> str:
    """Insert ``xml`` into the root element after the last of ``predecessors`` present."""
    position = None
    for local in predecessors:
        span = _element_span(text, local)
        if span is not None:
            position = max(position or 0, span[1])
    if position is None:
        root = re.search(r"<(?!\?|!)[^>]*>", text)
        position = root.end() if root is not None else 0
    return text[:position] + xml + text[position:]


def _remap_views(text: str, positions: dict[int, int | None]) -> str:
    """``activeTab`` and ``firstSheet`` count sheets by position: follow the sheets to their new positions."""
    def fix(match: re.Match[str]) -> str:
        target = positions.get(int(match.group(3)))
        return f"{match.group(1)}={match.group(2)}{target if target is not None else 0}{match.group(2)}"

    return re.sub(r"""\b(activeTab|firstSheet)\s*=\s*(["'])(\d+)\2""", fix, text)
