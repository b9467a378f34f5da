"""Adding arxl's cell formats to a workbook's ``styles.xml`` without disturbing anything already there.

The part is edited as text: entries are only appended, never renumbered, and an entry identical to one already
present is reused, so refreshing twice adds nothing the second time. (Re-serialising the part through an XML
library would rename namespace prefixes that ``mc:Ignorable`` refers to, which Excel treats as corruption.)
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from ..render.spec import CellStyle

_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}


class StyleTable:
    """The style sheet of one workbook, open for appending."""

    def __init__(self, xml: str):
        self.xml = xml
        self._cache: dict[object, int] = {}

    # --- generic section handling --------------------------------------------------------------------------

    def _section(self, tag: str) -> re.Match[str] | None:
        return re.search(rf"<{tag}\b[^>]*?(/>|>(.*?)</{tag}>)", self.xml, re.S)

    @staticmethod
    def _children(body: str, child: str) -> list[str]:
        return re.findall(rf"<{child}\b(?:[^>]*?/>|[^>]*?>.*?</{child}>)", body, re.S)

    def _ensure_section(self, tag: str, before: tuple[str, ...]) -> None:
        if self._section(tag) is not None:
            return
        for follower in before:
            match = re.search(rf"<{follower}\b", self.xml)
            if match:
                self.xml = self.xml[:match.start()] + f'<{tag} count="0"></{tag}>' + self.xml[match.start():]
                return
        self.xml = self.xml.replace("</styleSheet>", f'<{tag} count="0"></{tag}></styleSheet>')

    def _index_of(self, tag: str, child: str, element: str, before: tuple[str, ...] = ()) -> int:
        """Index of ``element`` among the children of ``tag``, appending it when it is not there."""
        self._ensure_section(tag, before)
        match = self._section(tag)
        assert match is not None
        body = match.group(2) or ""
        children = self._children(body, child)
        if element in children:
            return children.index(element)
        children.append(element)
        opening = re.match(rf"<{tag}\b[^>]*?(?=/?>)", match.group(0)).group(0)  # type: ignore[union-attr]
        opening = re.sub(r'\scount="\d+"', "", opening) + f' count="{len(children)}"'
        replacement = f"{opening}>{''.join(children)}</{tag}>"
        self.xml = self.xml[:match.start()] + replacement + self.xml[match.end():]
        return len(children) - 1

    # --- the parts of a format -----------------------------------------------------------------------------

    def number_format_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        self._ensure_section("numFmts", ("fonts",))
        match = self._section("numFmts")
        assert match is not None
        body = match.group(2) or ""
        existing = re.findall(r'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode=("[^"]*"|\'[^\']*\')', body)
        existing += [(number, code_) for code_, number in
                     re.findall(r'<numFmt\b[^>]*?formatCode=("[^"]*"|\'[^\']*\')[^>]*?numFmtId="(\d+)"', body)]
        quoted = quoteattr(code)
        for number, found in existing:
            if found == quoted or found.strip("\"'") == code:
                return int(number)
        next_id = max([163] + [int(number) for number, _ in existing]) + 1
        self._index_of("numFmts", "numFmt", f"<numFmt numFmtId=\"{next_id}\" formatCode={quoted}/>", ("fonts",))
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

    def to_bytes(self) -> bytes:
        return self.xml.encode("utf-8")
