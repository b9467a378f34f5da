"""Adding arxl's cell formats to a workbook's ``styles.xml`` without disturbing anything already there.

The part is edited as text: entries are only appended, never renumbered, and an entry identical to one already
present is reused, so refreshing twice adds nothing the second time. (Re-serialising the part through an XML
library would rename namespace prefixes that ``mc:Ignorable`` refers to, which Excel treats as corruption.) Any
valid spelling is read (``arxl.workbook.spelling``): a style sheet written ``<x:styleSheet>`` with single quotes
gets its new entries written ``<x:xf .../>``, and counts are updated in the quotes they had.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from ..render.spec import CellStyle
from .spelling import attribute, main_prefixes, prefix_pattern, prefixed, set_attribute

_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
# Built-in number formats that show a date or a time (ECMA-376 part 1, 18.8.30; 27-36 and 50-58 are the East
# Asian dates of localised Excel).
_BUILTIN_DATES = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
# What a format code shows literally: quoted text, escaped characters, [colours], [$-locale] and [h] aside.
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date or time (it holds d, m, y, h or s outside literal text)."""
    sections = _LITERALS.sub("", code).split(";")
    return bool(re.search(r"[dmyhs]", sections[0], re.IGNORECASE)) and "general" not in code.lower()


MINIMAL_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
"""The style sheet of a book that has none (valid, if rare): Excel's defaults, to which arxl adds its formats."""


class StyleTable:
    """The style sheet of one workbook, open for appending."""

    def __init__(self, xml: str):
        self.xml = xml
        prefixes = main_prefixes(xml[:4096])
        self._p = prefix_pattern(prefixes)
        self.prefix = prefixes[0] if prefixes else ""  # what new elements are written with
        self._cache: dict[object, int] = {}

    # --- generic section handling --------------------------------------------------------------------------

    def _section(self, tag: str) -> re.Match[str] | None:
        return re.search(rf"<(?P<p>{self._p}){tag}(?=[\s/>])[^>]*?(/>|>(.*?)</(?P=p){tag}\s*>)", self.xml, re.S)

    def _children(self, body: str, child: str) -> list[str]:
        return [match.group(0) for match in re.finditer(
            rf"<(?P<p>{self._p}){child}(?=[\s/>])(?:[^>]*?/>|[^>]*?>.*?</(?P=p){child}\s*>)", body, re.S)]

    def _ensure_section(self, tag: str, before: tuple[str, ...]) -> None:
        if self._section(tag) is not None:
            return
        empty = prefixed(f'<{tag} count="0"></{tag}>', self.prefix)
        for follower in before:
            match = re.search(rf"<{self._p}{follower}(?=[\s/>])", self.xml)
            if match:
                self.xml = self.xml[:match.start()] + empty + self.xml[match.start():]
                return
        end = re.search(rf"</{self._p}styleSheet\s*>", self.xml)
        if end is None:
            raise ValueError("the workbook's styles part has no styleSheet element")
        self.xml = self.xml[:end.start()] + empty + self.xml[end.start():]

    def _index_of(self, tag: str, child: str, element: str, before: tuple[str, ...] = ()) -> int:
        """Index of ``element`` (built without a prefix) among the children of ``tag``, appending it when it is
        not there."""
        element = prefixed(element, self.prefix)
        self._ensure_section(tag, before)
        match = self._section(tag)
        assert match is not None
        body = match.group(3) or ""
        children = self._children(body, child)
        if element in children:
            return children.index(element)
        self._append(match, tag, element, len(children) + 1)
        return len(children)

    def _append(self, section: re.Match[str], tag: str, element: str, count: int) -> None:
        """Append ``element`` at the end of the ``section`` found, whose ``count`` it becomes; everything else
        in the section stays as it was."""
        opening = re.match(r"<[^>]*?(?=/?>)", section.group(0)).group(0)  # type: ignore[union-attr]
        opening = set_attribute(opening + ">", "count", str(count))[:-1]
        replacement = f"{opening}>{section.group(3) or ''}{element}</{section.group('p')}{tag}>"
        self.xml = self.xml[:section.start()] + replacement + self.xml[section.end():]

    def _entries(self, tag: str, child: str) -> list[str]:
        match = self._section(tag)
        return self._children(match.group(3) or "", child) if match is not None else []

    # --- the parts of a format -----------------------------------------------------------------------------

    def _custom_formats(self) -> list[tuple[int, str]]:
        """(numFmtId, formatCode) of each custom number format, in any spelling."""
        formats = []
        for element in self._entries("numFmts", "numFmt"):
            number, code = attribute(element, "numFmtId"), attribute(element, "formatCode")
            if number is not None and number.isdigit() and code is not None:
                formats.append((int(number), code))
        return formats

    def number_format_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        existing = self._custom_formats()
        for number, found in existing:
            if found == code:
                return number
        next_id = max([163] + [number for number, _ in existing]) + 1
        self._index_of("numFmts", "numFmt", f"<numFmt numFmtId=\"{next_id}\" formatCode={quoteattr(code)}/>",
                       ("fonts",))
        return next_id

    def font_id(self, style: CellStyle) -> int:
        parts = []
        if style.bold:
            parts.append("<b/>")
        if style.italic:
            parts.append("<i/>")
        parts.append(f'<sz val="{style.size:g}"/>')
        parts.append(f'<color rgb="FF{style.color}"/>' if style.color else '<color theme="1"/>')
        parts.append('<name val="Calibri"/><family val="2"/><scheme val="minor"/>')
        return self._index_of("fonts", "font", "<font>" + "".join(parts) + "</font>", ("fills",))

    def fill_id(self, color: str) -> int:
        if not color:
            return 0
        element = (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/>'
                   '<bgColor indexed="64"/></patternFill></fill>')
        return self._index_of("fills", "fill", element, ("borders",))

    def border_id(self, top: str, bottom: str) -> int:
        if not top and not bottom:
            return 0
        top_xml = f'<top style="{top}"><color auto="1"/></top>' if top else "<top/>"
        bottom_xml = f'<bottom style="{bottom}"><color auto="1"/></bottom>' if bottom else "<bottom/>"
        element = f"<border><left/><right/>{top_xml}{bottom_xml}<diagonal/></border>"
        return self._index_of("borders", "border", element, ("cellStyleXfs", "cellXfs"))

    def xf_index(self, style: CellStyle) -> int:
        """The cellXfs index for ``style`` (appended once, reused after)."""
        if style in self._cache:
            return self._cache[style]
        number = self.number_format_id(style.number_format)
        font = self.font_id(style)
        fill = self.fill_id(style.fill)
        border = self.border_id(style.border_top, style.border_bottom)
        attributes = (f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                      f' applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1"')
        if style.align or style.wrap or style.indent or style.vertical:
            alignment = "<alignment"
            horizontal = style.align or ("left" if style.indent else "")
            vertical = "top" if style.wrap else style.vertical
            alignment += f' horizontal="{horizontal}"' if horizontal else ""
            alignment += f' vertical="{vertical}"' if vertical else ""
            alignment += f' indent="{style.indent}"' if style.indent else ""
            alignment += ' wrapText="1"' if style.wrap else ""
            element = f"<xf {attributes} applyAlignment=\"1\">{alignment}/></xf>"
        else:
            element = f"<xf {attributes}/>"
        index = self._index_of("cellXfs", "xf", element, ("cellStyles", "dxfs"))
        self._cache[style] = index
        return index

    def dxf_index(self, fill: str, font: str = "") -> int:
        """A differential format (for conditional formatting) with a fill and optional font colour."""
        font_xml = f'<font><color rgb="FF{font}"/></font>' if font else ""
        element = (f'<dxf>{font_xml}<fill><patternFill><bgColor rgb="FF{fill}"/></patternFill></fill></dxf>')
        return self._index_of("dxfs", "dxf", element, ("tableStyles", "colors", "extLst"))

    # --- the user's own formats ----------------------------------------------------------------------------

    def number_format_of(self, xf: int) -> int:
        """The numFmtId of cell format ``xf`` (0, General, for a format the book does not have)."""
        entries = self._entries("cellXfs", "xf")
        if not 0 <= xf < len(entries):
            return 0
        number = attribute(re.match(r"<[^>]*>", entries[xf]).group(0), "numFmtId")  # type: ignore[union-attr]
        return int(number) if number is not None and number.isdigit() else 0

    def is_date_format(self, number_format: int) -> bool:
        """Whether number format ``number_format`` (a numFmtId) shows a date or time."""
        if number_format in _BUILTIN_DATES:
            return True
        return any(number == number_format and is_date_code(code) for number, code in self._custom_formats())

    def with_number_format(self, xf: int, number_format: int) -> int:
        """The cellXfs index of cell format ``xf`` showing number format ``number_format`` instead (``xf`` itself
        when it does; otherwise a copy appended once, with everything else of ``xf`` kept)."""
        entries = self._entries("cellXfs", "xf")
        if not 0 <= xf < len(entries):
            xf = 0
        if not entries:
            return self._index_of("cellXfs", "xf", f'<xf numFmtId="{number_format}" fontId="0" fillId="0" '
                                                   f'borderId="0" xfId="0" applyNumberFormat="1"/>',
                                  ("cellStyles", "dxfs"))
        if self.number_format_of(xf) == number_format:
            return xf
        element = entries[xf]
        tag = re.match(r"<[^>]*>", element).group(0)  # type: ignore[union-attr]
        changed = set_attribute(set_attribute(tag, "numFmtId", str(number_format)), "applyNumberFormat", "1")
        copy = changed + element[len(tag):]
        if copy in entries:
            return entries.index(copy)
        section = self._section("cellXfs")
        assert section is not None
        self._append(section, "cellXfs", copy, len(entries) + 1)
        return len(entries)

    def to_bytes(self) -> bytes:
        return self.xml.encode("utf-8")
