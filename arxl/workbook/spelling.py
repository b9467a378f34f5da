"""The spellings of SpreadsheetML that arxl reads and edits as text: the sheet scan (``read``), the table appender
(``append``) and the style table (``styles``).

Small, flat parts are parsed (``arxl.workbook.bookxml``; the table parts). Sheets are too big to parse on the hot
path, and the parts arxl edits must stay byte for byte where it changes nothing, so these are read as text with
patterns that accept any valid spelling of the same XML: elements with whatever prefix the part's root element
binds to SpreadsheetML's namespace (``<x:c>`` as well as ``<c>``), attributes in either quote style, in any
order, with spaces around ``=`` and with entities or character references in their values. What arxl writes
into such a part uses the part's own prefix, and a value it changes keeps the quotes it had.
"""

from __future__ import annotations

import functools
import html
import re

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ANY_PREFIX = r"(?:[\w.-]+:)?"
"""A pattern for any prefix, or none: for a part whose root binds no prefix to SpreadsheetML."""

_ROOT_TAG = re.compile(r"(?:\ufeff)?(?:\s+|<\?.*?\?>|<!--.*?-->)*<[^\s/>]+([^>]*)>", re.S)
_DECLARATION = re.compile(r"""\sxmlns(?::([\w.-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def main_prefixes(head: str) -> tuple[str, ...] | None:
    """The prefixes (``"x:"``; ``""`` for the default namespace) that the root element of an XML part binds to
    SpreadsheetML's main namespace, read from the part's first characters; None when it binds none."""
    root = _ROOT_TAG.match(head)
    if root is None:
        return None
    found = [f"{prefix}:" if prefix else "" for prefix, double, single in _DECLARATION.findall(root.group(1))
             if html.unescape(double or single) == NS_MAIN]
    return tuple(found) or None


def prefix_pattern(prefixes: tuple[str, ...] | None) -> str:
    """A pattern matching the prefix of SpreadsheetML's elements in a part: the one its root binds (exactly, so a
    pattern starting with ``<`` and the tag is searched as a literal), or any when it binds none."""
    if prefixes is None:
        return ANY_PREFIX
    if len(prefixes) == 1:
        return re.escape(prefixes[0])
    return "(?:" + "|".join(re.escape(prefix) for prefix in prefixes) + ")"


@functools.lru_cache(maxsize=64)
def _attribute_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"""(?<![\w.:-]){re.escape(name)}\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def attribute(tag: str, name: str) -> str | None:
    """The value of attribute ``name`` in the start tag ``tag`` (any spelling), entities undone; None if absent."""
    found = _attribute_pattern(name).search(tag)
    if found is None:
        return None
    value = found.group(1) if found.group(1) is not None else found.group(2)
    return html.unescape(value) if "&" in value else value


def set_attribute(tag: str, name: str, value: str) -> str:
    """The start tag ``tag`` with attribute ``name`` set to ``value`` (which must need no escaping): in place,
    in the quotes it had, or added before the tag's end when it was absent."""
    found = _attribute_pattern(name).search(tag)
    if found is not None:
        group = 1 if found.group(1) is not None else 2
        return tag[:found.start(group)] + value + tag[found.end(group):]
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def drop_attribute(tag: str, name: str) -> str:
    """The start tag ``tag`` without attribute ``name``."""
    return re.sub(rf"""\s+{re.escape(name)}\s*=\s*(?:"[^"]*"|'[^']*')""", "", tag, count=1)


def start_tag(xml: str, local: str, prefix: str = ANY_PREFIX, start: int = 0) -> re.Match[str] | None:
    """The first start (or empty-element) tag of element ``local`` in ``xml`` from ``start``; its group
    ``prefix`` is the prefix it was written with, its group ``empty`` "/" for an empty element."""
    return re.compile(rf"<(?P<prefix>{prefix}){re.escape(local)}(?=[\s/>])[^>]*?(?P<empty>/?)>").search(xml, start)


def prefixed(xml: str, prefix: str) -> str:
    """Markup arxl built without a prefix (``<font><b/></font>``) written with ``prefix`` on every element."""
    return re.sub(r"<(/?)(?=[A-Za-z_])", rf"<\1{prefix}", xml) if prefix else xml
