"""The forms of one case: receipt, one-time notice, custody receipt, decision, entrustment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.platypus import Flowable

from dispatch.forms.pdf import WIDTH, fields, gap, grid, para, render, signatures, title
from dispatch.models.cases import Case, CustodyEvent
from dispatch.models.entrustments import Entrustment
from dispatch.models.status_labels import status_text
from dispatch.privacy import mask_id_number
from dispatch.workdays import CST

CHANNELS = {
    "agent": "全程代办 / agent carries it",
    "on_site": "现场办理 / at the counter",
    "online_assisted": "帮办（网上）/ assisted online",
}


@dataclass(frozen=True)
class CaseSheet:
    """What every case form prints in its header, read by the service."""

    case: Case
    office: str  # the office printing it: the village room or the centre of the holder
    printed_at: datetime


def local(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _header(sheet: CaseSheet) -> list[tuple[str, str]]:
    c = sheet.case
    return [
        ("受理编号 Reference", c.reference),
        ("申请人 Applicant", c.applicant.name),
        ("身份证号 ID number", mask_id_number(c.applicant.id_number)),
        ("所在村 Village", c.village.name),
        ("办理事项 Item", f"{c.item.name}（{c.item.code}）"),
        ("办理状态 Status", status_text("case", c.status)),
    ]


def _footer(sheet: CaseSheet) -> list[Flowable]:
    return [
        gap(6),
        para(
            f"打印单位 Printed by：{sheet.office}　打印时间 Printed：{local(sheet.printed_at)}", 8
        ),
    ]


def receipt(sheet: CaseSheet) -> bytes:
    """受理回执 / 收件单: the reference, the materials taken in and the promised date."""
    c = sheet.case
    rows = _header(sheet) + [
        ("办理方式 Channel", CHANNELS.get(c.channel, c.channel)),
        ("受理时间 Accepted", local(c.registered_at)),
        ("承诺时限 Promise", f"{c.promised_days or c.item.promised_days} 个工作日 working days"),
        ("承诺办结日 Promised date", c.due_date.isoformat()),
    ]
    materials = [[para("材料 Material", 9), para("份数 Copies", 9), para("原件 Original", 9)]]
    for m in c.item.materials:
        copies = str(m.get("copies", 1))
        original = "是 yes" if m.get("original") else "否 no"
        materials.append([para(m["name"]), para(copies), para(original)])
    story = [
        *title("受理回执（收件单）", "Acceptance receipt"),
        fields(rows),
        gap(),
        para("收取材料 Materials received", 11),
        grid(materials, [WIDTH * 0.6, WIDTH * 0.2, WIDTH * 0.2]),
        gap(),
        para(
            "凭本回执和受理编号可查询办理进度。承诺办结日按工作日计算，补正、中止期间不计入。\n"
            "Keep this receipt: the reference lets you follow the case. Working days only; "
            "days awaiting your supplement or while suspended do not count."
        ),
        gap(),
        signatures([("申请人签字 Applicant", None), ("受理人签字 Received by", None)]),
        *_footer(sheet),
    ]
    return render(story, f"受理回执 {c.reference}")


def notice(sheet: CaseSheet, text: str) -> bytes:
    """一次性告知书: what is missing, all at once, for a return or a 补正."""
    c = sheet.case
    story = [
        *title("一次性告知书", "One-time notice of missing materials"),
        fields(_header(sheet)),
        gap(),
        para(text),
        gap(),
        para(
            "请一次性补齐上述材料，交给代办员或村便民服务室。补正期间不计入承诺时限。\n"
            "Please bring all of the above at once to your agent or the village room. The days "
            "you need to supplement do not count against the promise."
        ),
        gap(),
        signatures([("申请人签收 Applicant", None), ("告知人 Notified by", None)]),
        *_footer(sheet),
    ]
    return render(story, f"一次性告知书 {c.reference}")


def handover(
    sheet: CaseSheet, event: CustodyEvent, giver: str, receiver: str, captured: str | None
) -> bytes:
    """交接单: one hand-over, with the signature boxes of both sides.

    The phone captures the counterpart's signature (the villager at a collection, the centre
    at a drop), so the picture goes in the box of the side that is not the agent; the agent
    signs the paper copy in ink. ``captured`` is that signature (a data URL from the file
    store), if any.
    """
    c = sheet.case
    rows = [
        ("交接单号 Receipt", event.receipt_no),
        ("受理编号 Reference", c.reference),
        ("办理事项 Item", c.item.name),
        ("交出方 From", giver),
        ("接收方 To", receiver),
        ("交接时间 At", local(event.at)),
        ("交接材料 Items", "；".join(event.items) or "（未列明 / not listed）"),
        ("备注 Note", event.note or ""),
    ]
    counterpart_is_giver = event.from_kind != "agent"
    boxes = [
        ("交出方签字 Handed over by", captured if counterpart_is_giver else None),
        ("接收方签字 Received by", None if counterpart_is_giver else captured),
    ]
    story = [
        *title("材料交接单", "Custody receipt"),
        fields(rows),
        gap(),
        signatures(boxes),
        *_footer(sheet),
    ]
    return render(story, f"交接单 {event.receipt_no}")


REFUSAL_TITLES = {
    "not_accepted": ("不予受理通知书", "Notice of non-acceptance", "决定不予受理"),
    "not_permitted": ("不予许可决定告知书", "Notice of refusal", "决定不予许可"),
}


def decision(sheet: CaseSheet, refusal_reason: str = "", refusal_kind: str = "") -> bytes:
    """办结单, or 不予许可告知书 / 不予受理通知书 when the case was refused (with its legal
    reason)."""
    c = sheet.case
    decided = next((h for h in reversed(c.history) if h.to_status in ("decided", "refused")), None)
    rows = _header(sheet) + [
        ("承诺办结日 Promised date", c.due_date.isoformat()),
        ("决定时间 Decided", local(decided.at) if decided else ""),
    ]
    if refusal_reason:
        zh, en, verdict = REFUSAL_TITLES.get(refusal_kind, REFUSAL_TITLES["not_permitted"])
        heading = title(zh, en)
        body = para(
            f"经审查，您申请的「{c.item.name}」不符合法定条件，{verdict}。\n理由及依据："
            f"{refusal_reason}\n如不服本决定，可在收到之日起六十日内依法申请行政复议，或在六个月内"
            "依法提起行政诉讼。申请材料随本告知书退还。\n"
            "Your application was refused for the reason above. You may apply for "
            "administrative review within 60 days or sue within six months. Your documents "
            "come back with this notice."
        )
    else:
        zh = "办结单"
        heading = title(zh, "Case completion slip")
        body = para(
            f"您申请的「{c.item.name}」已办结，证照及材料随本单交还。\n"
            f"Your '{c.item.name_en or c.item.name}' is done; the certificate and your documents "
            "come with this slip."
        )
    story = [
        *heading,
        fields(rows),
        gap(),
        body,
        gap(),
        signatures([("申请人签收 Applicant", None), ("经办人 Handled by", None)]),
        *_footer(sheet),
    ]
    return render(story, f"{zh} {c.reference}")


def _entrusted(found: Entrustment) -> tuple[str, str, str]:
    """Whom the villager entrusts, as the form's row and in its text (Chinese, English)."""
    agent = found.agent.name
    if found.covers == "township":
        village = found.case.village
        township = village.parent.name if village.parent else ""
        return (
            f"{township}代办员（经办 {agent}）/ the township's agents",
            f"{township}代办员（经办代办员 {agent}）",
            f"the agents of the township (signed with agent {agent})",
        )
    return f"代办员 {agent}（agent）", f"代办员 {agent}", f"agent {agent}"


def entrustment(sheet: CaseSheet, found: Entrustment, today: date, signed: str | None) -> bytes:
    """代办委托书: who entrusts whom, for which item, the materials, the validity, signed
    (``signed``: the signature or thumbprint, a data URL from the file store)."""
    c = sheet.case
    where = "代办员手机 / agent's phone" if found.captured_at == "phone" else "村便民服务室"
    if found.revoked_at is not None:
        state = f"已撤销 revoked {local(found.revoked_at)}：{found.revoke_reason}"
    elif found.valid_until < today:
        state = "已过期 expired"
    else:
        state = "有效 in force"
    whom, mandate, mandate_en = _entrusted(found)
    rows = _header(sheet) + [
        ("委托人 Entrusting", f"{c.applicant.name}（申请人 applicant）"),
        ("受托人 Entrusted", whom),
        ("交付材料 Materials handed over", "；".join(found.materials)),
        ("有效期至 Valid until", found.valid_until.isoformat()),
        ("签署 Signed", f"{local(found.signed_at)}，{where}"),
        ("状态 State", state),
    ]
    label = "委托人签名 Signature" if found.signature_hash else "委托人手印 Thumbprint"
    story = [
        *title("代办委托书", "Entrustment of an agent"),
        fields(rows),
        gap(),
        para(
            f"本人委托{mandate}全程代办「{c.item.name}」，"
            "代为递交、领取材料和证照，委托期限至上述日期；本人可随时通过村工作人员撤销委托。\n"
            f"I entrust {mandate_en} to carry this application through: hand in "
            "and collect the documents and the certificate on my behalf until the date above. "
            "I may revoke this at any time through the village staff."
        ),
        gap(),
        signatures([(label, signed), ("受托代办员 Agent", None)]),
        *_footer(sheet),
    ]
    return render(story, f"代办委托书 {c.reference}")
