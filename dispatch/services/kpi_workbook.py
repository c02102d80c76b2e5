"""The KPI answer as an Excel workbook (openpyxl): one sheet per group, one row per unit."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

GROUPS = {
    "cases": "办件 Cases",
    "visits": "上门 Visits",
    "custody": "交接 Custody",
    "dispatch": "调度 Dispatch",
    "satisfaction": "好差评 Ratings",
}


def _cell(value: Any) -> Any:
    """Nested breakdowns (by item, the distribution) go in as JSON text."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def kpi_workbook(answer: dict[str, Any]) -> bytes:
    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "说明 About"
    period = answer["period"]
    for row in (
        ("层级 level", answer["level"]),
        ("统计期 period", f"{period['label']} ({period['start']} – {period['end']})"),
        ("截至 as of", answer["as_of"].isoformat()),
        ("来源 source", "Daiban, computed from the records / 由系统记录计算"),
    ):
        about.append(row)
    for key, title in GROUPS.items():
        ws = wb.create_sheet(title)
        fields = list(answer["units"][0][key]) if answer["units"] else []
        ws.append(["code", "name", "agent_id", *fields])
        for c in ws[1]:
            c.font = Font(bold=True)
        for unit in answer["units"]:
            u = unit["unit"]
            ws.append(
                [u["code"], u["name"], u["agent_id"], *(_cell(v) for v in unit[key].values())]
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
