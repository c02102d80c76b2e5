"""What each status is called, in Chinese and English: the one table the API answers with
(``status_label``), the pages show (``base.html`` hands it to ``common.js``) and the printed
forms print. A status added to a model without a label here fails
``tests/dispatch/test_status_labels.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from dispatch.models.agents import AppointmentStatus
from dispatch.models.cases import Status
from dispatch.models.outbox import OutboxStatus
from dispatch.models.plans import PlanStatus, StopStatus
from dispatch.models.ratings import RectStatus

#: (Chinese, English)
Label = tuple[str, str]

CASE: dict[str, Label] = {
    Status.REGISTERED: ("已受理", "Registered"),
    Status.MATERIALS_CHECKED: ("材料已审核", "Materials checked"),
    Status.RETURNED: ("材料不全已退回", "Returned for missing materials"),
    Status.WITH_AGENT: ("在代办员手中", "With the agent"),
    Status.AT_TOWNSHIP: ("在镇便民服务中心", "At the township centre"),
    Status.AT_COUNTY: ("在县（市）政务服务中心", "At the county or city centre"),
    Status.DECIDED: ("已办结", "Decided"),
    Status.RETURNING: ("正在送回", "On the way back"),
    Status.DELIVERED: ("已送达", "Delivered"),
    Status.CLOSED: ("已归档", "Closed"),
    Status.CANCELLED: ("已撤销", "Cancelled"),
    Status.SUPPLEMENT: ("需补正，材料送回中", "Supplement requested; the file is on its way back"),
    Status.SUPPLEMENTING: ("村民补正材料中", "The villager is gathering what is missing"),
    Status.REFUSED: ("不予受理或不予许可", "Refused; the file is on its way back"),
    Status.WITHDRAWN: ("已撤回", "Withdrawn; the file is on its way back"),
    Status.SUSPENDED: ("中止办理", "Suspended; the clock is stopped"),
}

BOOKING: dict[str, Label] = {
    AppointmentStatus.BOOKED: ("已预约", "Booked"),
    AppointmentStatus.DONE: ("已上门", "Visited"),
    AppointmentStatus.CANCELLED: ("已取消", "Cancelled"),
    AppointmentStatus.MISSED: ("未能上门", "Missed"),
}

#: A stop is one leg of an agent's route.
STOP: dict[str, Label] = {
    StopStatus.PLANNED: ("待办", "Planned"),
    StopStatus.ARRIVED: ("已到达", "Arrived"),
    StopStatus.DONE: ("已完成", "Done"),
    StopStatus.FAILED: ("未完成", "Not done"),
}

PLAN: dict[str, Label] = {
    PlanStatus.DRAFT: ("草稿", "Draft"),
    PlanStatus.PUBLISHED: ("已发布", "Published"),
    PlanStatus.SUPERSEDED: ("已被替代", "Superseded"),
}

OUTBOX: dict[str, Label] = {
    OutboxStatus.PENDING: ("待发送", "Pending"),
    OutboxStatus.SENT: ("已发送", "Sent"),
    OutboxStatus.DEAD: ("发送失败（死信）", "Failed (dead letter)"),
}

RECTIFICATION: dict[str, Label] = {
    RectStatus.OPEN: ("待核实", "Waiting for verification"),
    RectStatus.VERIFIED: ("已核实", "Verified"),
    RectStatus.RECTIFIED: ("已整改", "Rectified"),
    RectStatus.CLOSED: ("已回访结案", "Closed after the call-back"),
}

#: Every table, by the kind of thing whose status it names.
TABLES: Mapping[str, Mapping[str, Label]] = {
    "case": CASE,
    "booking": BOOKING,
    "stop": STOP,
    "plan": PLAN,
    "outbox": OUTBOX,
    "rectification": RECTIFICATION,
}


def _label(kind: str, status: str) -> Label:
    # A status unknown to the table (a row older than its enum) is shown as it is stored.
    return TABLES[kind].get(status, (status, status))


def status_label(kind: str, status: str) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` of one status, as the API answers it."""
    zh, en = _label(kind, status)
    return {"zh": zh, "en": en}


def status_text(kind: str, status: str) -> str:
    """Both languages on one line, as the printed forms write a field: ``已受理 Registered``."""
    zh, en = _label(kind, status)
    return f"{zh} {en}"


def labels_in(lang: str) -> dict[str, dict[str, str]]:
    """Every label in one language (``zh`` or ``en``), as a page gets them."""
    i = 0 if lang == "zh" else 1
    return {kind: {str(s): pair[i] for s, pair in table.items()} for kind, table in TABLES.items()}
