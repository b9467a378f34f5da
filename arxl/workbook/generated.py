"""Finding arxl's generated sheets in a workbook file, and writing them into its package surgically.

Which sheets are arxl's is read from their markers and the state sheet (``arxl.ownership`` explains both). A
write changes only: the generated sheets and the parts hanging off them (tables, drawings, charts and anything
else only they reference), the state sheet, ``xl/workbook.xml`` (``<sheets>``, ``<definedNames>``, ``calcPr``,
the views' tab positions: ``arxl.workbook.bookxml``), its relationships, ``[Content_Types].xml``,
``xl/styles.xml`` (formats appended, never renumbered) and ``xl/calcChain.xml`` (dropped: Excel rebuilds it,
and recalculates on open anyway). Pivot caches built on a generated sheet or table are set to refresh when the
book opens. Every other part — the user's sheets, VBA, ribbons, charts, pivots, names — is copied byte for byte,
compressed data included.

Books written by an arxl that listed its sheets by name (the custom document property
``arxl.generated_sheets``, or the live adapter's hidden ``arxl_generated`` sheet) are read as such until their
first write, which marks the sheets and drops the old lists.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from defusedxml import ElementTree as SafeXml

from ..errors import SaveRefused
from ..excel import quoted
from ..ownership import (
    MARKER_NAME,
    STATE_KEY,
    BookState,
    GeneratedBook,
    Placement,
    SheetRecord,
    adopt_legacy,
    legal_sheet_name,
    marker_key,
    marker_text,
    plan_write,
    read_state,
    record_for,
    renamed,
    resolve_markers,
    spec_key,
    state_spec,
)
from ..render.spec import SheetSpec
from .bookxml import ContentTypes, DefinedName, Relationship, Relationships, SheetElement, WorkbookXml
from .package import Package, rels_path, resolve_target
from .sheetxml import NS_REL, build_sheet
from .styles import MINIMAL_STYLES, StyleTable

INPUTS_FINGERPRINT = "inputs-fingerprint"
"""The state record of the input parts' fingerprint as the last write left them
(``Package.inputs_fingerprint``)."""
OWNED_PROPERTY = "arxl.generated_sheets"
"""The custom document property an older arxl listed its sheets in (read once, then dropped)."""
LEGACY_SHEET = "arxl_generated"
"""The hidden sheet an older live adapter listed its sheets on (read once, then removed)."""
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_SHEET = f"{NS_REL}/worksheet"
REL_CALC_CHAIN = f"{NS_REL}/calcChain"
REL_STYLES = f"{NS_REL}/styles"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
TYPES = "[Content_Types].xml"
# Parts a generated sheet may point to that other parts share: never removed with the sheet.
_SHARED_PARTS = ("xl/pivotCache/", "xl/styles.xml", "xl/theme/", "xl/sharedStrings.xml")


@dataclass(frozen=True)
class WriteReport:
    """What a write did: the name of each written spec's sheet (by key), the generated sheets it removed, and
    notes for the user (sheets left alone, references into generated sheets that may need a look)."""

    names: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --- reading --------------------------------------------------------------------------------------------------

def read_generated(path: Path) -> GeneratedBook:
    """The generated sheets of the book at ``path``, its state, and notes."""
    package = Package(path)
    try:
        return _generated(package)
    finally:
        package.close()


def _generated(package: Package) -> GeneratedBook:
    workbook = WorkbookXml(package.text(WORKBOOK) or "")
    names = [sheet.name for sheet in workbook.sheets]
    markers = _markers(workbook)
    state_names = [name for name, key in markers if key == STATE_KEY]
    state, notes = (read_state(_sheet_values(package, workbook, state_names[0])) if state_names
                    else (BookState(), []))
    book = resolve_markers(markers, state, names)
    book.notes[:0] = notes
    if not markers:
        adopt_legacy(book, _legacy_names(package, workbook))
    return book


def _markers(workbook: WorkbookXml) -> list[tuple[str, str]]:
    """(sheet name, key) of every marker, in tab order."""
    found = []
    for name in workbook.names:
        if name.name.casefold() != MARKER_NAME.casefold() or name.local is None:
            continue
        key = marker_key(name.text)
        if key is not None and 0 <= name.local < len(workbook.sheets):
            found.append((name.local, workbook.sheets[name.local].name, key))
    return [(sheet, key) for _position, sheet, key in sorted(found)]


def _legacy_names(package: Package, workbook: WorkbookXml) -> list[str]:
    names: list[str] = []
    custom = package.read("docProps/custom.xml")
    if custom:
        for element in SafeXml.fromstring(custom):
            if element.get("name") == OWNED_PROPERTY:
                names += [name for name in "".join(element.itertext()).split("/") if name]
    if any(sheet.name.casefold() == LEGACY_SHEET for sheet in workbook.sheets):
        values = _sheet_values(package, workbook, LEGACY_SHEET) or []
        names += [str(row[0]) for row in values if row and row[0] not in (None, "")]
        names.append(LEGACY_SHEET)
    return names


def _sheet_values(package: Package, workbook: WorkbookXml, name: str) -> list[list[object]] | None:
    import python_calamine as calamine

    reader = calamine.CalamineWorkbook.from_path(str(package.path))
    try:
        if name not in reader.sheet_names:
            return None
        return reader.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        reader.close()


def sheet_part(path: Path, name: str) -> tuple[str, int, int] | None:
    """(part, CRC-32, size) of the sheet ``name`` in the file, from the zip's directory (nothing is inflated)."""
    package = Package(path)
    try:
        workbook = WorkbookXml(package.text(WORKBOOK) or "")
        rels = Relationships.parse(package.read(WORKBOOK_RELS))
        for sheet in workbook.sheets:
            if sheet.name == name:
                part = resolve_target(WORKBOOK, rels.target(sheet.rid) or "")
                info = next((info for info in package.infos if info.filename == part), None)
                return (part, info.CRC, info.file_size) if info is not None else None
        return None
    finally:
        package.close()


_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])[^>]*>")
_REFERENCE = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f(?=[\s/>])")


def formula_cells(sheet_xml: bytes) -> set[tuple[int, int]]:
    """(row, column) of every cell of a worksheet part that holds a formula (its ``<f>``), whatever it shows.
    Only the text just before each formula is searched for its cell, so a big sheet with a few totals is cheap."""
    from ..excel import column_number

    found: set[tuple[int, int]] = set()
    for formula in _FORMULA.finditer(sheet_xml):
        window = sheet_xml[max(0, formula.start() - 4096):formula.start()]
        cells = list(_CELL_START.finditer(window))
        reference = _REFERENCE.search(cells[-1].group(0)) if cells else None
        if reference is not None:
            found.add((int(reference.group(2)), column_number(reference.group(1).decode().upper())))
    return found


# --- writing --------------------------------------------------------------------------------------------------

def write_generated(source: Path, target: Path, specs: Sequence[SheetSpec], *, replace_keys: Sequence[str] = (),
                    book: GeneratedBook | None = None, state_extra: dict[str, str | None] | None = None
                    ) -> WriteReport:
    """Write ``source`` with the generated ``specs`` to ``target``.

    Each spec goes to the generated sheet of its key, or a new sheet (``arxl.ownership.plan_write``); generated
    sheets whose key matches ``replace_keys`` (a pattern ending in ``:`` matches every key it starts) and that no
    spec takes are removed. ``book`` is what ``read_generated`` found in ``source`` (read again when not given);
    ``state_extra`` replaces those records of the state sheet's ``extra``.
    """
    package = Package(source)
    try:
        found = book if book is not None else _generated(package)
        return _write(package, target, list(specs), list(replace_keys), found, state_extra or {})
    finally:
        package.close()


def _write(package: Package, target: Path, specs: list[SheetSpec], patterns: list[str], book: GeneratedBook,
           state_extra: dict[str, str | None]) -> WriteReport:
    workbook = WorkbookXml(package.text(WORKBOOK) or "")
    rels = Relationships.parse(package.read(WORKBOOK_RELS))
    types = ContentTypes.parse(package.read(TYPES))
    # The style sheet is the part the workbook's relationships name (xl/styles.xml as Excel writes it, but any
    # name is valid); a book without one gets one.
    styles_rel = next((item for item in rels.items if item.type == REL_STYLES and not item.external), None)
    styles_part = resolve_target(WORKBOOK, styles_rel.target) if styles_rel is not None else "xl/styles.xml"
    if styles_rel is None:
        rels.add(REL_STYLES, "styles.xml")
        types.override(styles_part, STYLES_TYPE)
    styles = StyleTable(package.text(styles_part) or MINIMAL_STYLES)
    legacy = [key for key in book.sheets if key.startswith("legacy:")]
    patterns = [*patterns, "legacy:"] if legacy else patterns
    plan = plan_write(book, specs, patterns)
    _refuse_table_clashes(package, workbook, rels, [placement.spec for placement in plan.placements], book)

    old_order = [sheet.name for sheet in workbook.sheets]
    by_name = {sheet.name: sheet for sheet in workbook.sheets}
    part_of = {sheet.name: resolve_target(WORKBOOK, rels.target(sheet.rid) or "") for sheet in workbook.sheets}
    removed_names = {sheet.name for sheet in plan.remove}
    rewritten = {placement.existing for placement in plan.placements if placement.existing is not None}
    state_name = book.name_of(STATE_KEY)
    if state_name is not None:
        rewritten.add(state_name)

    # 1. drop what the removed and rewritten sheets hang on to; the removed sheets themselves
    for name in removed_names | rewritten:
        for part in _exclusive_parts(package, part_of[name]):
            package.remove(part)
            types.drop(part)
    for name in removed_names:
        package.remove(part_of[name])
        types.drop(part_of[name])
        rels.remove(by_name[name].rid)
    workbook.sheets = [sheet for sheet in workbook.sheets if sheet.name not in removed_names]

    # 2. each spec into its sheet (in place, keeping its position), new ones appended; the state sheet last
    records = {key: record for key, record in book.state.sheets.items() if key in book.sheets}
    for sheet in plan.remove:
        records.pop(sheet.key, None)
    needed = sum(1 for spec in specs for block in spec.blocks if block.table_name)
    table_ids = _free_table_ids(package, exclude={part_of[name] for name in removed_names | rewritten},
                                needed=needed)
    serial = _next_free_serial(package)
    next_sheet_id = max([0, *(sheet.sheet_id for sheet in workbook.sheets)]) + 1
    written: dict[str, str] = {}
    specs_by_name: dict[str, SheetSpec] = {}
    for placement in plan.placements:
        spec = renamed(placement.spec, placement.name)
        part, serial, next_sheet_id = _place(package, workbook, rels, types, placement, part_of, serial,
                                             next_sheet_id, spec)
        sheet_xml = _write_sheet(package, types, spec, part, styles, table_ids, date1904=workbook.date1904)
        records[spec_key(spec)] = record_for(spec, placement.name, part_crc=zlib.crc32(sheet_xml),
                                             part_size=len(sheet_xml))
        records.pop("legacy:" + placement.name.casefold(), None)
        written[spec_key(spec)] = placement.name
        specs_by_name[placement.name] = spec
    for key in list(records):
        if key.startswith("legacy:"):
            records.pop(key)
    for key, sheet in book.sheets.items():  # generated sheets kept as they are: their current names
        if key in records and key not in written:
            records[key] = replace(records[key], name=sheet.name)
    extra = {name: text for name, text in {**book.state.extra, **state_extra}.items() if text is not None}
    extra[INPUTS_FINGERPRINT] = package.inputs_fingerprint()
    state = state_spec(BookState(records, extra))
    state_placement = (Placement(state, state_name, state_name) if state_name is not None else
                       Placement(state, legal_sheet_name(state.name, [sheet.name for sheet in workbook.sheets]),
                                 None))
    part, serial, next_sheet_id = _place(package, workbook, rels, types, state_placement, part_of, serial,
                                         next_sheet_id, state)
    _write_sheet(package, types, state, part, styles, table_ids)
    written[STATE_KEY] = state_placement.name

    # 3. workbook.xml: markers, print titles and areas follow the sheets to their new positions
    positions = {sheet.name: index for index, sheet in enumerate(workbook.sheets)}
    old_positions = {index: positions.get(name) for index, name in enumerate(old_order)}
    ours = {name for name in written.values()} | {sheet.name for sheet in book.sheets.values()}
    workbook.names = _names(workbook.names, old_positions, positions, set(written.values()), set(book.copies),
                            written, specs_by_name, ours)
    package.set(WORKBOOK, workbook.render(old_positions=old_positions))
    package.set(styles_part, styles.to_bytes())
    calc_chain = next((item for item in rels.items if item.type == REL_CALC_CHAIN), None)
    if calc_chain is not None:
        part = resolve_target(WORKBOOK, calc_chain.target)
        package.remove(part)
        types.drop(part)
        rels.remove(calc_chain.id)
    package.set(WORKBOOK_RELS, rels.to_xml())
    _drop_legacy_lists(package, types)
    moved = {name for key, name in written.items() if _rows_moved(book.state.sheets.get(key), records.get(key))}
    notes = [*plan.notes, *_refresh_pivots(package, set(written.values()),
                                           {table for spec in specs_by_name.values()
                                            for table in _table_names(spec)}),
             *_dependants(package, workbook, rels, set(ours) | set(book.copies), moved,
                          removed_names - {LEGACY_SHEET})]
    package.set(TYPES, types.to_xml())
    package.write(target)
    return WriteReport({key: name for key, name in written.items() if key != STATE_KEY},
                       tuple(sorted(removed_names - {LEGACY_SHEET})), tuple(notes))


def _place(package: Package, workbook: WorkbookXml, rels: Relationships, types: ContentTypes,
           placement: Placement, part_of: dict[str, str], serial: int, next_sheet_id: int, spec: SheetSpec
           ) -> tuple[str, int, int]:
    """The part ``spec`` goes to: its existing sheet's (that sheet renamed if need be), or a new sheet."""
    state = "veryHidden" if spec.hidden == "veryHidden" else ("hidden" if spec.hidden else "")
    if placement.existing is not None:
        part = part_of[placement.existing]
        for sheet in workbook.sheets:
            if sheet.name == placement.existing:
                sheet.state = state if state else ("" if sheet.state == "veryHidden" else sheet.state)
        stem = PurePosixPath(part).stem
        if not stem.startswith("arxl-"):
            package.remove(part)
            types.drop(part)
            new_part = f"xl/worksheets/arxl-{serial}.xml"
            serial += 1
            for sheet in workbook.sheets:
                if sheet.name == placement.existing:
                    rels.remove(sheet.rid)
                    sheet.rid = rels.add(REL_SHEET, f"worksheets/arxl-{serial - 1}.xml")
            part = new_part
        types.override(part, SHEET_TYPE)
        return part, serial, next_sheet_id
    part = f"xl/worksheets/arxl-{serial}.xml"
    rid = rels.add(REL_SHEET, f"worksheets/arxl-{serial}.xml")
    workbook.sheets.append(SheetElement(placement.name, next_sheet_id, rid, state))
    types.override(part, SHEET_TYPE)
    return part, serial + 1, next_sheet_id + 1


def _write_sheet(package: Package, types: ContentTypes, spec: SheetSpec, part: str, styles: StyleTable,
                 table_ids: list[int], *, date1904: bool = False) -> bytes:
    prefix = PurePosixPath(part).stem
    parts = build_sheet(spec, styles, prefix=prefix, table_ids=table_ids, date1904=date1904)
    package.set(part, parts.sheet)
    if parts.rels:
        sheet_rels = Relationships([Relationship(rid, kind, target) for rid, kind, target in parts.rels])
        package.set(rels_path(part), sheet_rels.to_xml())
    for name, data in parts.extra.items():
        package.set(name, data)
    for name, content_type in parts.content_types.items():
        types.override(name, content_type)
    return parts.sheet


def _names(names: list[DefinedName], old_positions: dict[int, int | None], positions: dict[str, int],
           rewritten: set[str], copies: set[str], written: dict[str, str], specs: dict[str, SheetSpec],
           generated: set[str]) -> list[DefinedName]:
    """The defined names after the write: sheet-scoped names follow their sheets (a removed sheet's go with
    it); arxl's markers, print titles and print areas are written anew for the sheets this write rewrote (those
    of the generated sheets it left alone stay as they are); a copy the user made of a generated sheet loses its
    marker only. The user's names keep their order; arxl's follow, in sheet order, so that a write that
    leaves a sheet alone spells the names as the write that made it."""
    our_positions = {positions[name] for name in rewritten if name in positions}
    copy_positions = {positions[name] for name in copies if name in positions}
    kept = []
    for defined in names:
        if defined.local is not None:
            local = old_positions.get(defined.local)
            if local is None:
                continue
            defined = replace(defined, local=local)  # noqa: PLW2901 - the name at its new position
            arxls = defined.name.casefold() in (MARKER_NAME.casefold(), "_xlnm.print_titles", "_xlnm.print_area")
            if arxls and local in our_positions:
                continue
            if defined.name.casefold() == MARKER_NAME.casefold() and local in copy_positions:
                continue
        kept.append(defined)
    for key, sheet_name in written.items():
        index = positions[sheet_name]
        kept.append(DefinedName(MARKER_NAME, index, '"' + marker_text(key).replace('"', '""') + '"', True))
        spec = specs.get(sheet_name)
        if spec is None or spec.page is None:
            continue
        if spec.page.title_rows is not None:
            first, last = spec.page.title_rows
            kept.append(DefinedName("_xlnm.Print_Titles", index, f"{quoted(sheet_name)}!${first}:${last}"))
        if spec.page.print_area:
            kept.append(DefinedName("_xlnm.Print_Area", index, f"{quoted(sheet_name)}!{spec.page.print_area}"))
    generated_positions = {positions[name] for name in generated | set(written.values()) if name in positions}
    order = (MARKER_NAME.casefold(), "_xlnm.print_titles", "_xlnm.print_area")

    def arxls(defined: DefinedName) -> bool:
        return defined.name.casefold() in order and (defined.name.casefold() == MARKER_NAME.casefold()
                                                     or defined.local in generated_positions)

    users = [defined for defined in kept if not arxls(defined)]
    own = sorted((defined for defined in kept if arxls(defined)),
                 key=lambda defined: (defined.local or 0, order.index(defined.name.casefold())))
    return users + own


def _exclusive_parts(package: Package, part: str) -> list[str]:
    """The parts reachable from ``part`` through relationships that nothing outside them refers to, and the
    relationship parts on the way (a generated sheet's tables, drawing, charts...)."""
    reachable: list[str] = []
    pending = [part]
    seen = {part}
    while pending:
        current = pending.pop()
        rels = package.read(rels_path(current))
        if rels is None:
            continue
        reachable.append(rels_path(current))
        for item in Relationships.parse(rels).items:
            if item.external:
                continue
            resolved = resolve_target(current, item.target)
            if resolved in seen or resolved.startswith(_SHARED_PARTS) or package.read(resolved) is None:
                continue
            seen.add(resolved)
            reachable.append(resolved)
            pending.append(resolved)
    inside = set(reachable) | {part}
    referenced_elsewhere = set()
    for name in package.names():
        if not name.endswith(".rels") or name in inside:
            continue
        owner = _rels_owner(name)
        for item in Relationships.parse(package.read(name)).items:
            if not item.external:
                referenced_elsewhere.add(resolve_target(owner, item.target))
    return [name for name in reachable if name not in referenced_elsewhere]


def _rels_owner(rels_part: str) -> str:
    path = PurePosixPath(rels_part)
    return str(path.parent.parent / path.name.removesuffix(".rels"))


def _table_names(spec: SheetSpec) -> list[str]:
    return [block.table_name for block in spec.blocks if block.table_name]


def _refuse_table_clashes(package: Package, workbook: WorkbookXml, rels: Relationships, specs: list[SheetSpec],
                          book: GeneratedBook) -> None:
    """An Excel Table name is unique in a book: refuse before anything changes if one of the user's tables has
    the name of one arxl writes."""
    ours = {name.casefold(): name for spec in specs for name in _table_names(spec)}
    if not ours:
        return
    generated = {sheet.name for sheet in book.sheets.values()}
    for sheet in workbook.sheets:
        if sheet.name in generated:
            continue
        part = resolve_target(WORKBOOK, rels.target(sheet.rid) or "")
        for item in Relationships.parse(package.read(rels_path(part))).items:
            if not item.type.endswith("/table"):
                continue
            data = package.read(resolve_target(part, item.target))
            if data is None:
                continue
            table = SafeXml.fromstring(data)
            name = table.get("displayName") or table.get("name") or ""
            if name.casefold() in ours:
                raise SaveRefused(f"the sheet {sheet.name!r} has an Excel Table named {name!r}, a name arxl uses "
                                  "for its own report; rename that table (Table Design > Table Name)")


def _free_table_ids(package: Package, exclude: set[str], needed: int) -> list[int]:
    """The ``needed`` lowest table ids no table outside the sheets being rewritten uses (an id is unique in a
    book)."""
    excluded = set()
    for part in exclude:
        excluded.update(_exclusive_parts(package, part))
    used = set()
    for name in package.names():
        if name.startswith("xl/tables/") and name.endswith(".xml") and name not in excluded:
            data = package.read(name)
            if data:
                identifier = SafeXml.fromstring(data).get("id", "")
                if identifier.isdigit():
                    used.add(int(identifier))
    return list(itertools.islice((number for number in itertools.count(1) if number not in used), needed))


def _next_free_serial(package: Package) -> int:
    numbers = [int(number) for number in re.findall(r"arxl-(\d+)", " ".join(package.names()))]
    return max([0, *numbers]) + 1


def _drop_legacy_lists(package: Package, types: ContentTypes) -> None:
    """The older arxl's list of its sheets in ``docProps/custom.xml``: the markers replace it."""
    custom = package.text("docProps/custom.xml")
    if not custom or OWNED_PROPERTY not in custom:
        return
    pattern = (r"<(?:[\w.-]+:)?property\b[^>]*\bname\s*=\s*([\"'])" + re.escape(OWNED_PROPERTY)
               + r"\1[^>]*>.*?</(?:[\w.-]+:)?property\s*>")
    package.set("docProps/custom.xml", re.sub(pattern, "", custom, count=1, flags=re.S))


def _refresh_pivots(package: Package, sheets: set[str], tables: set[str]) -> list[str]:
    """Set pivot caches whose source is a generated sheet or table to refresh when the book opens."""
    notes = []
    folded_sheets = {name.casefold() for name in sheets}
    folded_tables = {name.casefold() for name in tables}
    for name in package.names():
        if not (name.startswith("xl/pivotCache/pivotCacheDefinition") and name.endswith(".xml")):
            continue
        text = package.text(name) or ""
        root = SafeXml.fromstring(text.encode("utf-8"))
        source = next((element for element in root.iter() if element.tag.endswith("}worksheetSource")), None)
        if source is None:
            continue
        if (source.get("sheet", "").casefold() not in folded_sheets
                and source.get("name", "").casefold() not in folded_tables):
            continue
        start = re.search(r"<(?:[\w.-]+:)?pivotCacheDefinition\b[^>]*>", text)
        if start is None:
            continue
        element = start.group(0)
        flag = re.search(r"""\brefreshOnLoad\s*=\s*(["'])(.*?)\1""", element)
        if flag is not None and flag.group(2) in ("1", "true"):
            continue
        if flag is not None:
            fixed = element.replace(flag.group(0), 'refreshOnLoad="1"')
        else:
            closing = "/>" if element.endswith("/>") else ">"
            fixed = element[:-len(closing)].rstrip() + ' refreshOnLoad="1"' + closing
        package.set(name, text[:start.start()] + fixed + text[start.end():])
        what = source.get("name") or f"{source.get('sheet')}!{source.get('ref', '')}"
        notes.append(f"a pivot table built on {what} will refresh when the book is next opened in Excel")
    return notes


# --- what the user built on generated sheets ------------------------------------------------------------------

_SHEET_REFERENCE = re.compile(r"(?:'((?:[^']|'')+)'|([^\s'!(),;=+\-*/&<>^\"{}]+))!"
                              r"(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)?")
_FORMULA_TEXT = re.compile(rb"<(?:[\w.-]+:)?f(?:\s[^>]*)?>([^<]*)</(?:[\w.-]+:)?f\s*>")
_CHART_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f>([^<]*)</(?:[\w.-]+:)?f>")


def _rows_moved(before: SheetRecord | None, after: SheetRecord | None) -> bool:
    """Whether the rows holding content differ between two writes of a sheet (a fixed range may now miss)."""
    if before is None or after is None or before.digest is None or after.digest is None:
        return False
    return not np.array_equal(before.digest.rows, after.digest.rows)


def _dependants(package: Package, workbook: WorkbookXml, rels: Relationships, generated: set[str],
                moved: set[str], removed: set[str]) -> list[str]:
    """Notes on what the user built on generated sheets that this write may have broken: a defined name, a
    chart series or a formula that points at a sheet the write removed, or at a fixed range of a generated
    sheet whose rows changed (a structured reference to the sheet's table follows the data; a fixed range does
    not). Formulas inside the input tables are not searched (they are data)."""
    watched = {name.casefold(): name for name in moved | removed}
    if not watched:
        return []
    notes: list[str] = []

    def check(text: str, where: str) -> None:
        for match in _SHEET_REFERENCE.finditer(text):
            sheet = (match.group(1) or "").replace("''", "'") or match.group(2) or ""
            name = watched.get(sheet.casefold())
            if name is None:
                continue
            if name in removed:
                notes.append(f"{where} refers to the sheet {name!r}, which this refresh removed; "
                             "it now shows #REF!")
            elif match.group(3):
                notes.append(f"{where} uses the fixed range {quoted(name)}!{match.group(3)} on a generated sheet "
                             "whose rows changed; point it at the sheet's Excel Table (e.g. arxl_Aging[Total]) so "
                             "it follows the data")
            return

    own_names = {MARKER_NAME.casefold(), "_xlnm.print_titles", "_xlnm.print_area"}
    for defined in workbook.names:
        if defined.name.casefold() not in own_names:
            check(defined.text, f"the defined name {defined.name!r}")
    parts = {sheet.name: resolve_target(WORKBOOK, rels.target(sheet.rid) or "") for sheet in workbook.sheets}
    inputs = _input_sheets(package, parts)
    keys = [name.encode("utf-8") for name in watched.values()]
    for sheet, part in parts.items():
        if sheet in generated or sheet in inputs:
            continue
        for chart in _charts_of(package, part):
            data = package.read(chart) or b""
            if any(key in data for key in keys):
                for formula in _CHART_FORMULA.findall(data):
                    check(_xml_text(formula), f"a chart on the sheet {sheet!r}")
        data = package.read(part) or b""
        if not any(key in data for key in keys):
            continue
        for formula in _FORMULA_TEXT.finditer(data):
            cells = list(_CELL_START.finditer(data[max(0, formula.start() - 4096):formula.start()]))
            reference = _REFERENCE.search(cells[-1].group(0)) if cells else None
            cell = f"{reference.group(1).decode()}{reference.group(2).decode()}" if reference else "?"
            check(_xml_text(formula.group(1)), f"the formula in {quoted(sheet)}!{cell}")
    return list(dict.fromkeys(notes))


def _xml_text(raw: bytes) -> str:
    return SafeXml.fromstring(b"<v>" + raw + b"</v>").text or ""


def _charts_of(package: Package, sheet_part: str) -> list[str]:
    charts = []
    for item in Relationships.parse(package.read(rels_path(sheet_part))).items:
        if item.type.endswith("/drawing"):
            drawing = resolve_target(sheet_part, item.target)
            charts += [resolve_target(drawing, chart.target)
                       for chart in Relationships.parse(package.read(rels_path(drawing))).items
                       if chart.type.endswith("/chart")]
    return charts


def _input_sheets(package: Package, parts: dict[str, str]) -> set[str]:
    """The sheets holding an input table of the contract (an Excel Table of a contract table's name)."""
    from ..contract import TABLES

    names = {table.name.casefold() for table in TABLES}
    found = set()
    for sheet, part in parts.items():
        for item in Relationships.parse(package.read(rels_path(part))).items:
            if item.type.endswith("/table"):
                data = package.read(resolve_target(part, item.target))
                if data and (SafeXml.fromstring(data).get("displayName") or "").casefold() in names:
                    found.add(sheet)
    return found
