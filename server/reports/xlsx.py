"""The monthly report as an XLSX workbook: one sheet per level, Chinese headers, printable on A4 landscape."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server.domain.ethnicity import by_code
from server.reports.models import MonthlyReport

LEVEL_SHEETS = {"city": "全市", "township": "乡镇（街道）", "community": "社区（村）", "grid": "网格"}
COLUMNS: Sequence[tuple[str, str]] = (
    ("persons_present", "在住人数"),
    ("male", "男"),
    ("female", "女"),
    ("arrivals", "流入"),
    ("departures", "流出"),
    ("transfers_in", "转入"),
    ("transfers_out", "转出"),
    ("visits", "走访人次"),
    ("not_visited_90d", "超90天未走访"),
    ("school_age_not_in_school", "适龄未入学儿童"),
    ("cases_new", "新增事项"),
    ("cases_resolved", "解决事项"),
    ("cases_overdue", "超期事项"),
    ("services", "服务次数"),
    ("people_served", "服务人数"),
)
ETHNICITY_SHEET = "在住人数（分民族）"
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = PatternFill("solid", fgColor="DDEBF7")


def _value(figures: dict[str, Any], key: str) -> int:
    if key == "male":
        return int(figures.get("persons_present_by_sex", {}).get("1", 0))
    if key == "female":
        return int(figures.get("persons_present_by_sex", {}).get("2", 0))
    return int(figures.get(key, 0))


def _ethnicity_name(code: str) -> str:
    group = by_code(code) if code.isdigit() else None
    return group.name_zh if group else "未填"


def _print_setup(sheet: Worksheet, title: str, columns: int) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:2"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    cell = sheet.cell(row=1, column=1, value=title)
    cell.font, cell.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    sheet.freeze_panes = "C3"


def _header(sheet: Worksheet, names: Sequence[str]) -> None:
    for i, name in enumerate(names, start=1):
        cell = sheet.cell(row=2, column=i, value=name)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEAD, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = 22 if i == 2 else 11


def _row(sheet: Worksheet, values: Sequence[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.border = _BORDER


def build_workbook(root: MonthlyReport, rows: Sequence[MonthlyReport]) -> bytes:
    """The report of ``root`` with a sheet per level of the stored ``rows`` below it (and its own)."""
    book = Workbook()
    book.remove(book.active)
    status = "（临时）" if root.provisional else ""
    period = f"{root.period}（{root.period_start} 至 {root.period_end}）第{root.revision}版{status}"
    headers = ["单位代码", "单位名称", *(label for _, label in COLUMNS)]
    for level, sheet_name in LEVEL_SHEETS.items():
        level_rows = [r for r in rows if r.unit_level == level]
        if not level_rows:
            continue
        sheet = book.create_sheet(sheet_name)
        _print_setup(sheet, f"{root.unit_name} 少数民族流动人口月度统计 {period} · {sheet_name}", len(headers))
        _header(sheet, headers)
        for r in level_rows:
            _row(sheet, [r.unit_code, r.unit_name, *(_value(r.figures, key) for key, _ in COLUMNS)])
    codes = sorted({code for r in rows for code in r.figures.get("persons_present_by_ethnicity", {})})
    sheet = book.create_sheet(ETHNICITY_SHEET)
    names = [_ethnicity_name(c) for c in codes]
    _print_setup(sheet, f"{root.unit_name} 在住人数（分民族）{period}", 2 + len(codes))
    _header(sheet, ["单位代码", "单位名称", *names])
    for r in rows:
        if r.unit_level == "grid" and root.unit_level != "grid":
            continue  # one row per grid would not print; the grid sheet has the totals
        by_eth = r.figures.get("persons_present_by_ethnicity", {})
        _row(sheet, [r.unit_code, r.unit_name, *(int(by_eth.get(c, 0)) for c in codes)])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
