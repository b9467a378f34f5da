"""Writing arxl's generated sheets into a workbook package surgically.

Only these parts change: the generated sheets and their tables, drawings and charts (all named ``arxl-...``),
``xl/workbook.xml`` (its ``<sheets>``, the print titles of generated sheets, ``calcPr``), its relationships,
``[Content_Types].xml``, ``xl/styles.xml`` (formats appended, never renumbered), ``xl/calcChain.xml`` (entries of
replaced sheets dropped) and ``docProps/custom.xml``, where the list of sheets arxl owns is recorded. Every
other part — input and user sheets, VBA, ribbons, charts, pivots, names — is copied byte for byte, compressed
data included. A sheet arxl did not create is never touched: a clash of names is refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from ..errors import SaveRefused
from ..excel import quoted
from ..render.spec import SheetSpec
from .package import Package, SheetEntry, read_sheet_entries, rels_path, resolve_target, xml_unescape
from .sheetxml import NS_REL, build_sheet
from .styles import StyleTable

OWNED_PROPERTY = "arxl.generated_sheets"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_SHEET = f"{NS_REL}/worksheet"
REL_CUSTOM = f"{NS_REL}/custom-properties"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

def owned_sheets(custom_xml: str | None) -> list[str]:
    """The sheet names recorded as arxl's in ``docProps/custom.xml``."""
    if not custom_xml:
        return []
    match = re.search(rf'<property\b[^>]*name="{re.escape(OWNED_PROPERTY)}"[^>]*>\s*<vt:lpwstr>(.*?)</vt:lpwstr>',
                      custom_xml, re.S)
    if match is None:
        return []
    return [name for name in xml_unescape(match.group(1)).split("/") if name]


def _custom_xml(existing: str | None, owned: list[str]) -> str:
    value = escape("/".join(owned))
    if existing and OWNED_PROPERTY in existing:
        owned_value = rf'(<property\b[^>]*name="{re.escape(OWNED_PROPERTY)}"[^>]*>\s*<vt:lpwstr>).*?(</vt:lpwstr>)'
        return re.sub(owned_value, lambda m: m.group(1) + value + m.group(2), existing, count=1, flags=re.S)
    if existing:
        ids = [int(pid) for pid in re.findall(r'\bpid="(\d+)"', existing)]
        pid = max([1, *ids]) + 1
        prop = (f'<property fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{OWNED_PROPERTY}">'
                f"<vt:lpwstr>{value}</vt:lpwstr></property>")
        if re.search(r"<Properties\b[^>]*/>", existing):
            return re.sub(r"<Properties\b([^>]*)/>", lambda m: f"<Properties{m.group(1)}>{prop}</Properties>",
                          existing, count=1)
        return existing.replace("</Properties>", prop + "</Properties>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="{NS_CUSTOM}" '
            f'xmlns:vt="{NS_VT}"><property fmtid="{CUSTOM_FMTID}" pid="2" name="{OWNED_PROPERTY}">'
            f"<vt:lpwstr>{value}</vt:lpwstr></property></Properties>")


def _related_parts(parts: dict[str, bytes], part: str) -> list[str]:
    """arxl's own parts hanging off a generated sheet (tables, drawing, charts), transitively."""
    found: list[str] = []
    pending = [part]
    while pending:
        current = pending.pop()
        rels = parts.get(rels_path(current))
        if rels is None:
            continue
        found.append(rels_path(current))
        for target in re.findall(r'Target="([^"]+)"', rels.decode("utf-8")):
            resolved = resolve_target(current, target)
            if PurePosixPath(resolved).name.startswith("arxl-") and resolved in parts:
                found.append(resolved)
                pending.append(resolved)
    return found


def _add_override(types: str, part: str, content_type: str) -> str:
    if f'PartName="{part}"' in types:
        return types
    return types.replace("</Types>", f'<Override PartName="{part}" ContentType="{content_type}"/></Types>')


def _remove_override(types: str, part: str) -> str:
    return re.sub(rf'<Override\b[^>]*PartName="{re.escape(part)}"[^>]*/>', "", types)


def _sheet_name_attr(name: str) -> str:
    return quoteattr(name)


def _next_rid(rels: str) -> str:
    numbers = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels)]
    return f"rId{max([0, *numbers]) + 1}"


def write_generated(source: Path, target: Path, specs: Iterable[SheetSpec], *,
                    replace: Iterable[str] | None = None) -> list[str]:
    """Write ``source`` + the generated ``specs`` to ``target``; return the names of the generated sheets.

    ``replace`` names the owned sheets this write is responsible for (default: all owned sheets): those not
    among ``specs`` are removed (a statement for a customer whose balance is now zero, say).
    """
    specs = list(specs)
    package = Package(source)
    try:
        return _update(package, target, specs, replace)
    finally:
        package.close()


def _update(package: Package, target: Path, specs: list[SheetSpec], replace: Iterable[str] | None) -> list[str]:
    workbook = package.text("xl/workbook.xml") or ""
    workbook_rels = package.text("xl/_rels/workbook.xml.rels") or ""
    types = package.text("[Content_Types].xml") or ""
    custom = package.text("docProps/custom.xml")
    styles = StyleTable(package.text("xl/styles.xml") or "")
    sheets = read_sheet_entries(workbook, workbook_rels)
    by_name = {sheet.name.casefold(): sheet for sheet in sheets}
    owned = owned_sheets(custom)
    owned_folded = {name.casefold() for name in owned}
    wanted = {spec.name.casefold() for spec in specs}
    responsible = owned_folded if replace is None else {name.casefold() for name in replace} & owned_folded

    for spec in specs:
        existing = by_name.get(spec.name.casefold())
        if existing is not None and spec.name.casefold() not in owned_folded:
            raise SaveRefused(f"the workbook already has a sheet named {spec.name!r} that arxl did not create; "
                              "rename it so arxl can write its report there")

    old_order = [sheet.name for sheet in sheets]
    calc_chain = package.text("xl/calcChain.xml")
    dropped_ids: set[int] = set()
    # 1. drop owned sheets that are replaced or no longer wanted, with their parts
    removed_names: set[str] = set()
    for sheet in sheets:
        folded = sheet.name.casefold()
        if folded not in owned_folded or (folded not in wanted and folded not in responsible):
            continue
        for part in _owned_parts(package, sheet.part):
            package.remove(part)
            types = _remove_override(types, "/" + part)
        dropped_ids.add(sheet.sheet_id)
        if folded not in wanted:
            removed_names.add(folded)
            package.remove(sheet.part)
            types = _remove_override(types, "/" + sheet.part)
            workbook = workbook.replace(sheet.element, "", 1)
            workbook_rels = re.sub(rf'<Relationship\b[^>]*\bId="{re.escape(sheet.rid)}"[^>]*/>', "", workbook_rels)

    # 2. write each spec: in place when it exists (keeping its position), else appended
    next_sheet_id = max([0, *(sheet.sheet_id for sheet in sheets)]) + 1
    used_table_ids = _user_table_ids(package)
    needed = sum(1 for spec in specs for block in spec.blocks if block.table_name)
    table_ids = list(itertools.islice((number for number in itertools.count(1) if number not in used_table_ids),
                                      needed))
    serial = _next_free_serial(package)
    for spec in specs:
        existing = by_name.get(spec.name.casefold())
        if existing is not None:
            part = existing.part
            prefix = PurePosixPath(part).stem if PurePosixPath(part).stem.startswith("arxl-") else f"arxl-{serial}"
            if existing.name != spec.name:
                new_element = existing.element.replace(f"name={_sheet_name_attr(existing.name)}",
                                                       f"name={_sheet_name_attr(spec.name)}")
                workbook = workbook.replace(existing.element, new_element, 1)
        else:
            prefix = f"arxl-{serial}"
            part = f"xl/worksheets/{prefix}.xml"
            rid = _next_rid(workbook_rels)
            workbook_rels = workbook_rels.replace(
                "</Relationships>", f'<Relationship Id="{rid}" Type="{REL_SHEET}" '
                                    f'Target="worksheets/{prefix}.xml"/></Relationships>')
            element = f'<sheet name={_sheet_name_attr(spec.name)} sheetId="{next_sheet_id}" r:id="{rid}"/>'
            next_sheet_id += 1
            workbook = re.sub(r"</sheets>", lambda _m, e=element: e + "</sheets>", workbook, count=1)
            types = _add_override(types, "/" + part, SHEET_TYPE)
        serial += 1
        parts = build_sheet(spec, styles, prefix=prefix, table_ids=table_ids)
        package.set(part, parts.sheet)
        if parts.rels:
            rels = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target_}"/>'
                           for rid, kind, target_ in parts.rels)
            package.set(rels_path(part), '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        f"{rels}</Relationships>")
        for name, data in parts.extra.items():
            package.set(name, data)
        for name, content_type in parts.content_types.items():
            types = _add_override(types, name, content_type)

    # 3. workbook.xml: defined names and views follow the new sheet order; print titles of generated sheets
    new_sheets = read_sheet_entries(workbook, workbook_rels)
    workbook = _remap_local_names(workbook, old_order, [sheet.name for sheet in new_sheets], removed_names)
    generated = {spec.name.casefold(): spec for spec in specs}
    workbook = _print_titles(workbook, new_sheets, generated, wanted)
    workbook = _full_calc_on_load(workbook)
    package.set("xl/workbook.xml", workbook)
    package.set("xl/_rels/workbook.xml.rels", workbook_rels)
    package.set("xl/styles.xml", styles.to_bytes())

    if calc_chain is not None and dropped_ids:
        kept = re.sub(r'<c\b[^>]*\bi="(\d+)"[^>]*/>',
                      lambda m: "" if int(m.group(1)) in dropped_ids else m.group(0), calc_chain)
        package.set("xl/calcChain.xml", kept)

    new_owned = [sheet.name for sheet in new_sheets
                 if sheet.name.casefold() in wanted or (sheet.name.casefold() in owned_folded
                                                        and sheet.name.casefold() not in removed_names)]
    package.set("docProps/custom.xml", _custom_xml(custom, new_owned))
    if custom is None:
        types = _add_override(types, "/docProps/custom.xml", CUSTOM_TYPE)
        root_rels = package.text("_rels/.rels") or ""
        if "docProps/custom.xml" not in root_rels:
            root_rels = root_rels.replace("</Relationships>", f'<Relationship Id="{_next_rid(root_rels)}" '
                                          f'Type="{REL_CUSTOM}" Target="docProps/custom.xml"/></Relationships>')
            package.set("_rels/.rels", root_rels)
    package.set("[Content_Types].xml", _sorted_own_overrides(types))
    package.write(target)
    return [spec.name for spec in specs]


def _owned_parts(package: Package, sheet_part: str) -> list[str]:
    parts = {name: package.read(name) or b"" for name in package.names() if "_rels/" in name}
    parts.update({name: b"" for name in package.names() if name not in parts})
    return _related_parts(parts, sheet_part)


def _sorted_own_overrides(types: str) -> str:
    """arxl's overrides last and in name order, so the same sheets always give the same part."""
    pattern = r'<Override\b[^>]*PartName="/xl/[^"]*/arxl-[^"]*"[^>]*/>'
    own = sorted(set(re.findall(pattern, types)))
    return re.sub(pattern, "", types).replace("</Types>", "".join(own) + "</Types>")


def _user_table_ids(package: Package) -> set[int]:
    ids = set()
    for name in package.names():
        if name.startswith("xl/tables/") and not PurePosixPath(name).name.startswith("arxl-"):
            text = package.text(name) or ""
            match = re.search(r'<table\b[^>]*\bid="(\d+)"', text)
            if match:
                ids.add(int(match.group(1)))
    return ids


def _next_free_serial(package: Package) -> int:
    numbers = [int(n) for n in re.findall(r"arxl-(\d+)", " ".join(package.names()))]
    return max([0, *numbers]) + 1


def _remap_local_names(workbook: str, old: list[str], new: list[str], removed: set[str]) -> str:
    """``localSheetId`` and ``activeTab`` are sheet positions: follow the sheets to their new positions."""
    position = {name.casefold(): index for index, name in enumerate(new)}
    mapping: dict[int, int | None] = {}
    for index, name in enumerate(old):
        mapping[index] = None if name.casefold() in removed else position.get(name.casefold())

    def fix_name(match: re.Match[str]) -> str:
        element = match.group(0)
        local = re.search(r'\blocalSheetId="(\d+)"', element)
        if local is None:
            return element
        target = mapping.get(int(local.group(1)))
        if target is None:
            return ""
        return element.replace(local.group(0), f'localSheetId="{target}"', 1)

    workbook = re.sub(r"<definedName\b[^>]*>.*?</definedName>|<definedName\b[^>]*/>", fix_name, workbook,
                      flags=re.S)
    workbook = re.sub(r"<definedNames>\s*</definedNames>", "", workbook)

    def fix_tab(match: re.Match[str]) -> str:
        target = mapping.get(int(match.group(1)))
        return f'activeTab="{target if target is not None else 0}"'

    return re.sub(r'activeTab="(\d+)"', fix_tab, workbook)


def _print_titles(workbook: str, sheets: list[SheetEntry], specs: dict[str, SheetSpec], ours: set[str]) -> str:
    """Replace the print titles and print areas of the sheets written now (``ours``) with those of their specs;
    those of generated sheets this write leaves alone stay as they are."""
    positions = {sheet.name.casefold(): index for index, sheet in enumerate(sheets)}
    ours_positions = {positions[name] for name in ours if name in positions}

    def drop_ours(match: re.Match[str]) -> str:
        element = match.group(0)
        local = re.search(r'\blocalSheetId="(\d+)"', element)
        builtin = re.search(r'name="_xlnm\.(Print_Titles|Print_Area)"', element)
        if local and builtin and int(local.group(1)) in ours_positions:
            return ""
        return element

    workbook = re.sub(r"<definedName\b[^>]*>.*?</definedName>", drop_ours, workbook, flags=re.S)
    names = []
    for folded, spec in specs.items():
        if spec.page is None or folded not in positions:
            continue
        index = positions[folded]
        sheet = escape(quoted(spec.name))
        if spec.page.title_rows is not None:
            first, last = spec.page.title_rows
            names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{sheet}!${first}:${last}'
                         "</definedName>")
        if spec.page.print_area:
            names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">{sheet}!'
                         f"{escape(spec.page.print_area)}</definedName>")
    workbook = re.sub(r"<definedNames>\s*</definedNames>|<definedNames\s*/>", "", workbook)
    if not names:
        return workbook
    if "<definedNames>" in workbook:
        return workbook.replace("</definedNames>", "".join(names) + "</definedNames>", 1)
    return _insert_after(workbook, ("</sheets>", "</functionGroups>", "</externalReferences>"),
                         "<definedNames>" + "".join(names) + "</definedNames>")


def _insert_after(workbook: str, closers: tuple[str, ...], xml: str) -> str:
    """Insert ``xml`` after the last of ``closers`` present (CT_Workbook's children have a fixed order)."""
    position = max(workbook.rfind(closer) + len(closer) for closer in closers if closer in workbook)
    return workbook[:position] + xml + workbook[position:]


def _full_calc_on_load(workbook: str) -> str:
    """Ask Excel to recalculate on open, so the live formulas of generated sheets are fresh."""
    match = re.search(r"<calcPr\b[^>]*/>", workbook)
    if match is None:
        before_calc = ("</sheets>", "</functionGroups>", "</externalReferences>", "</definedNames>")
        return _insert_after(workbook, before_calc, '<calcPr calcId="191029" fullCalcOnLoad="1"/>')
    element = match.group(0)
    if "fullCalcOnLoad" in element:
        return workbook
    return workbook.replace(element, element[:-2].rstrip() + ' fullCalcOnLoad="1"/>', 1)
