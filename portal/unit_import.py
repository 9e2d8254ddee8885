"""Unit lists (.xlsx or UTF-8 .csv): columns block, name, optional headcount and parent.
Every row is checked and every bad row reported; pure, the caller saves."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.question_import import CONTROL_RE, FormulaCell, clean_text

COLUMNS = ["block", "name"]
OPTIONAL = ["headcount", "parent"]
MAX_ROWS = 2000
MAX_NAME = 200


@dataclass
class UnitRow:
    row: int
    block_key: str
    name: str
    headcount: int | None
    parent: str | None


@dataclass
class UnitReport:
    units: list[UnitRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.units)


def _header(row: list[object]) -> tuple[dict[str, int], list[str]]:
    names = [clean_text(c).lower() for c in row]
    while names and not names[-1]:
        names.pop()
    problems = []
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n or "(trống)" for n in names if n not in COLUMNS + OPTIONAL]
    doubled = sorted({n for n in names if n and names.count(n) > 1})
    if missing:
        problems.append("thiếu cột " + ", ".join(missing))
    if unknown:
        problems.append("cột không hợp lệ: " + ", ".join(unknown))
    if doubled:
        problems.append("cột bị lặp: " + ", ".join(doubled))
    if problems:
        problems.append("cần các cột: block, name (tùy chọn: headcount, parent)")
    return {n: i for i, n in enumerate(names)}, problems


def _parse(number: int, row: list[object], columns: dict[str, int], blocks: dict[str, str]) -> tuple[UnitRow | None, list[str]]:
    raw = {name: row[i] if i < len(row) else None for name, i in columns.items()}
    reasons = [f"ô {name} chứa công thức (không được phép)" for name, v in raw.items() if isinstance(v, FormulaCell)]
    values = {name: clean_text(v) for name, v in raw.items()}
    reasons += [f"ô {name} chứa ký tự điều khiển" for name, v in values.items() if CONTROL_RE.search(v)]
    block = values.get("block", "")
    key = blocks.get(block.casefold())
    if not block:
        reasons.append("thiếu khối")
    elif key is None:
        reasons.append(f"không có khối “{block}” (ghi mã hoặc tên khối)")
    name = values.get("name", "")
    if not name:
        reasons.append("tên đơn vị trống")
    elif len(name) > MAX_NAME:
        reasons.append(f"tên đơn vị dài quá {MAX_NAME} ký tự")
    headcount = None
    text = values.get("headcount", "").replace(".", "").replace(",", "").replace(" ", "")
    if text:
        if re.fullmatch(r"\d{1,9}", text):
            headcount = int(text)
        else:
            reasons.append("headcount phải là số người (số nguyên không âm)")
    parent = values.get("parent") or None
    if reasons:
        return None, reasons
    return UnitRow(number, key, name, headcount, parent), []


def validate_units(rows: list[list[object]], blocks: dict[str, str], existing: set[str]) -> UnitReport:
    """`blocks` maps a block's key and its name (casefolded) to its key; `existing` holds
    the names of units already in the contest (a parent may be one of them)."""
    report = UnitReport()
    if not rows:
        report.errors.append((1, "tệp trống"))
        return report
    columns, problems = _header(rows[0])
    if problems:
        report.errors.extend((1, p) for p in problems)
        return report
    if len(rows) - 1 > MAX_ROWS:
        report.errors.append((MAX_ROWS + 2, f"quá {MAX_ROWS} dòng"))
        return report
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if all(clean_text(v) == "" for v in row):
            continue
        unit, reasons = _parse(number, row, columns, blocks)
        if unit and unit.name.casefold() in seen:
            reasons.append(f"trùng tên đơn vị ở dòng {seen[unit.name.casefold()]}")
        if unit:
            seen.setdefault(unit.name.casefold(), number)
        if reasons:
            report.errors.append((number, "; ".join(reasons)))
        else:
            report.units.append(unit)
    names = {u.name for u in report.units} | set(existing)
    for unit in report.units:
        if unit.parent and unit.parent not in names:
            report.errors.append((unit.row, f"không có đơn vị cấp trên “{unit.parent}”"))
        elif unit.parent == unit.name:
            report.errors.append((unit.row, "đơn vị không thể là cấp trên của chính nó"))
    report.errors.sort()
    if not report.units and not report.errors:
        report.errors.append((2, "tệp không có đơn vị nào"))
    return report
