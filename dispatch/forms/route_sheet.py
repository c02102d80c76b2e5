"""The agent's route for the day on paper, for a phone with a flat battery."""

from __future__ import annotations

from datetime import datetime

from dispatch.forms.pdf import WIDTH, fields, gap, grid, para, render, signatures, title
from dispatch.models.plans import Plan, PlanRoute, StopStatus
from dispatch.models.status_labels import status_text
from dispatch.workdays import CST

ACTIONS = {
    "collect": "收件 collect",
    "hand_over": "交件 hand over",
    "visit": "上门 visit",
    "ride": "接送 ride",
    "": "",
}


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(CST).strftime("%H:%M") if moment else ""


def route_sheet(plan: Plan, route: PlanRoute, printed_at: datetime) -> bytes:
    """Every stop in order with its time, what to do and the cases it serves."""
    rows = [
        ("代办员 Agent", route.agent.name),
        ("日期 Day", plan.day.isoformat()),
        ("乡镇 Township", plan.township.name),
        ("计划版本 Plan version", f"v{plan.version}"),
        ("出发 / 结束 Start / end", f"{_clock(route.start_at)} – {_clock(route.end_at)}"),
        ("里程 Distance", f"{route.distance_m / 1000:.1f} km"),
    ]
    table: list[list[object]] = [
        [
            para(h, 8)
            for h in (
                "#",
                "到达 Arrive",
                "时段 Window",
                "地点 Place",
                "事项 Task",
                "件 Cases",
                "完成 Done",
            )
        ]
    ]
    for stop in route.stops:
        if stop.kind in ("start", "end", "break"):
            continue
        window = (
            f"{_clock(stop.window_start)}–{_clock(stop.window_end)}" if stop.window_start else ""
        )
        refs = "\n".join(f"{c.reference} {c.item.name}" for c in stop.cases)
        table.append(
            [
                para(str(stop.seq), 8),
                para(_clock(stop.arrival), 8),
                para(window, 8),
                para(stop.label, 8),
                para(ACTIONS.get(stop.action, stop.action), 8),
                para(refs, 7),
                # Printed mid-day (a flat phone): what is reported already says so.
                para("□", 10)
                if stop.status == StopStatus.PLANNED
                else para(status_text("stop", stop.status), 8),
            ]
        )
    widths = [0.05, 0.09, 0.13, 0.25, 0.12, 0.28, 0.08]
    story = [
        *title("代办员当日路线单", "Agent's route sheet for the day"),
        fields(rows),
        gap(),
        grid(table, [WIDTH * w for w in widths]),
        gap(),
        para(
            "手机无电时按此单办理；每次交接仍须填写纸质交接单，恢复后在手机上补录。\n"
            "Use this sheet when the phone is flat; sign a paper custody receipt at every "
            "hand-over and enter it on the phone afterwards.",
            9,
        ),
        gap(),
        signatures([("代办员 Agent", None), ("调度员 Dispatcher", None)]),
        para(f"打印时间 Printed：{printed_at.astimezone(CST):%Y-%m-%d %H:%M}", 8),
    ]
    return render(story, f"路线单 {route.agent.name} {plan.day}")
