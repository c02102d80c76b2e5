"""Message templates: Simplified Chinese first, English alongside, ``${name}`` variables.

The ``${name}`` syntax is the one Aliyun uses in its pre-approved SMS templates, so the
Chinese body here is the text submitted for approval; an SMS carries only the variables
(``TemplateParam``), never the text. ``sms_code`` is the shipped default code of each text,
a placeholder until Aliyun approves it: the codes Aliyun gives are configuration
(``parse_template_codes``, read from ``DAIBAN_SMS_TEMPLATE_CODES`` by the dispatch service).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Audience = Literal["agent", "villager", "staff"]


@dataclass(frozen=True)
class Rendered:
    """A rendered message in both languages."""

    title_zh: str
    body_zh: str
    title_en: str
    body_en: str

    @property
    def title(self) -> str:
        """Chinese title with the English one alongside."""
        return f"{self.title_zh} · {self.title_en}"

    @property
    def text(self) -> str:
        """Chinese body first, then the English body on its own line."""
        return f"{self.body_zh}\n{self.body_en}"


@dataclass(frozen=True)
class MessageTemplate:
    """One kind of message, in Chinese and English, with its SMS template code."""

    key: str
    audience: Audience
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    sms_code: str

    def __post_init__(self) -> None:
        if not self.sms_code.startswith("SMS_"):
            raise ValueError(
                f"{self.key}: sms_code must look like SMS_<digits>, got {self.sms_code!r}"
            )
        zh = _identifiers(self.title_zh, self.body_zh)
        en = _identifiers(self.title_en, self.body_en)
        if zh != en:
            raise ValueError(f"{self.key}: zh and en use different variables: {zh ^ en}")

    @property
    def variables(self) -> frozenset[str]:
        """The variable names every render needs."""
        return _identifiers(self.title_zh, self.body_zh)

    @property
    def sms_variables(self) -> tuple[str, ...]:
        """The variables of the approved SMS text (the Chinese body), in order of use."""
        return tuple(dict.fromkeys(string.Template(self.body_zh).get_identifiers()))

    def render(self, variables: Mapping[str, object]) -> Rendered:
        """Render both languages; a missing variable is a ``ValueError`` naming it."""
        values = self._values(variables)
        return Rendered(
            title_zh=string.Template(self.title_zh).substitute(values),
            body_zh=string.Template(self.body_zh).substitute(values),
            title_en=string.Template(self.title_en).substitute(values),
            body_en=string.Template(self.body_en).substitute(values),
        )

    def sms_params(self, variables: Mapping[str, object]) -> dict[str, str]:
        """The ``TemplateParam`` of the SMS: only the variables of the approved text."""
        values = self._values(variables)
        return {name: values[name] for name in self.sms_variables}

    def _values(self, variables: Mapping[str, object]) -> dict[str, str]:
        missing = sorted(self.variables - variables.keys())
        if missing:
            raise ValueError(f"template {self.key!r} is missing variable(s): {', '.join(missing)}")
        return {name: str(variables[name]) for name in self.variables}


def _identifiers(*texts: str) -> frozenset[str]:
    return frozenset(name for text in texts for name in string.Template(text).get_identifiers())


_ALL = (
    # To agents: pushes, with an SMS fallback.
    MessageTemplate(
        key="plan_published",
        audience="agent",
        title_zh="新的派单计划已发布",
        body_zh="${plan_date}的计划（第${plan_version}版）已发布，共${stop_count}个站点，请打开应用查看。",
        title_en="New plan published",
        body_en="The plan for ${plan_date} (version ${plan_version}) is out: ${stop_count} stops. "
        "Open the app to see it.",
        sms_code="SMS_468120001",
    ),
    MessageTemplate(
        key="route_changed",
        audience="agent",
        title_zh="您的路线已调整",
        body_zh="您${plan_date}的路线已更新（第${plan_version}版）：${changes}",
        title_en="Your route changed",
        body_en="Your route for ${plan_date} was updated (version ${plan_version}): ${changes}",
        sms_code="SMS_468120002",
    ),
    MessageTemplate(
        key="urgent_task",
        audience="agent",
        title_zh="新增紧急任务",
        body_zh="${village}新增紧急任务：${task}，请于${deadline}前处理。",
        title_en="Urgent task added",
        body_en="Urgent task in ${village}: ${task}. Please handle it by ${deadline}.",
        sms_code="SMS_468120003",
    ),
    MessageTemplate(
        key="next_stop_reminder",
        audience="agent",
        title_zh="下一站提醒",
        body_zh="下一站：${village}${address}，预计${eta}到达，办理${service}。",
        title_en="Next stop",
        body_en="Next stop: ${address}, ${village}, expected at ${eta}, for ${service}.",
        sms_code="SMS_468120004",
    ),
    # To villagers: SMS.
    MessageTemplate(
        key="booking_confirmed",
        audience="villager",
        title_zh="预约已确认",
        body_zh="${name}您好，您的${service}预约已确认，代办员将于${date} ${time_window}上门。",
        title_en="Booking confirmed",
        body_en="Hello ${name}, your booking for ${service} is confirmed. An agent will visit "
        "on ${date}, ${time_window}.",
        sms_code="SMS_468120011",
    ),
    MessageTemplate(
        key="booking_unplanned",
        audience="villager",
        title_zh="预约暂未排上",
        body_zh="${name}您好，您${date} ${time_window}的上门预约（${reference}）"
        "暂未能排进当天路线，工作人员将尽快联系您改约。",
        title_en="Visit not yet scheduled",
        body_en="Hello ${name}, your visit on ${date}, ${time_window} (${reference}) could not "
        "be kept in that day's routes; staff will call you to rebook.",
        sms_code="SMS_468120018",
    ),
    MessageTemplate(
        key="booking_reminder",
        audience="villager",
        title_zh="明日上门提醒",
        body_zh="${name}您好，代办员将于明天（${date}）${time_window}上门办理${service}，"
        "请备好相关证件。",
        title_en="Reminder: visit tomorrow",
        body_en="Hello ${name}, an agent will visit tomorrow (${date}), ${time_window}, for "
        "${service}. Please have your documents ready.",
        sms_code="SMS_468120012",
    ),
    MessageTemplate(
        key="agent_on_the_way",
        audience="villager",
        title_zh="代办员正在路上",
        body_zh="${name}您好，代办员${agent_name}正在前往，预计${eta_minutes}分钟后到达。",
        title_en="Your agent is on the way",
        body_en="Hello ${name}, agent ${agent_name} is on the way and should arrive in about "
        "${eta_minutes} minutes.",
        sms_code="SMS_468120013",
    ),
    MessageTemplate(
        key="certificate_ready",
        audience="villager",
        title_zh="证件已办好",
        body_zh="${name}您好，您的${certificate}已办好，将于${delivery_date}送达。",
        title_en="Your certificate is ready",
        body_en="Hello ${name}, your ${certificate} is ready and will be delivered on "
        "${delivery_date}.",
        sms_code="SMS_468120014",
    ),
    MessageTemplate(
        key="rate_service",
        audience="villager",
        title_zh="请为本次服务评价",
        body_zh="${name}您好，您的${service}已办结，欢迎对本次服务进行“好差评”评价：${link}",
        title_en="Rate our service",
        body_en="Hello ${name}, your ${service} is complete. Please rate the service "
        "(好差评, good or poor): ${link}",
        sms_code="SMS_468120015",
    ),
    MessageTemplate(
        key="due_date_moved",
        audience="villager",
        title_zh="承诺办结日已调整",
        body_zh="${name}您好，节假日安排已公布，您的${service}（受理编号${reference}）"
        "承诺办结日由${old_date}改为${new_date}。",
        title_en="Promised date changed",
        body_en="Hello ${name}, the holiday notice is out: the promised date for your ${service} "
        "(reference ${reference}) moved from ${old_date} to ${new_date}.",
        sms_code="SMS_468120016",
    ),
    MessageTemplate(
        key="rating_result",
        audience="villager",
        title_zh="您的评价已处理",
        body_zh="${name}您好，您对${service}（受理编号${reference}）的评价已核查处理："
        "${result}。感谢您的监督。",
        title_en="Your rating has been dealt with",
        body_en="Hello ${name}, your rating of ${service} (reference ${reference}) has been "
        "looked into: ${result}. Thank you.",
        sms_code="SMS_468120017",
    ),
    # The branches of a case (补正, refusal, 中止 / 续办, withdrawal).
    MessageTemplate(
        key="supplement_requested",
        audience="villager",
        title_zh="请补正材料",
        body_zh="${name}您好，您的${service}（受理编号${reference}）需补正材料：${missing}。"
        "材料将退回给您，请补齐后交代办员或村便民服务室，补正期间不计入办理时限。",
        title_en="Please supply missing materials",
        body_en="Hello ${name}, your ${service} (reference ${reference}) needs: ${missing}. "
        "Your file comes back to you; hand everything to your agent or the village room. The "
        "days you need do not count against the promise.",
        sms_code="SMS_468120019",
    ),
    MessageTemplate(
        key="case_refused",
        audience="villager",
        title_zh="申请未获批准",
        body_zh="${name}您好，您的${service}（受理编号${reference}）${decision}，理由：${reason}。"
        "书面告知书和您的材料将送还给您。",
        title_en="Application refused",
        body_en="Hello ${name}, your ${service} (reference ${reference}): ${decision}, because: "
        "${reason}. The written notice and your documents will be brought back to you.",
        sms_code="SMS_468120020",
    ),
    MessageTemplate(
        key="case_suspended",
        audience="villager",
        title_zh="代办已中止",
        body_zh="${name}您好，您的${service}（受理编号${reference}）已中止办理：${reason}。"
        "中止期间不计入办理时限。",
        title_en="Case suspended",
        body_en="Hello ${name}, your ${service} (reference ${reference}) is suspended: "
        "${reason}. The days it is suspended do not count.",
        sms_code="SMS_468120021",
    ),
    MessageTemplate(
        key="case_continued",
        audience="villager",
        title_zh="代办已续办",
        body_zh="${name}您好，您的${service}（受理编号${reference}）已恢复办理，"
        "承诺办结日为${due_date}。",
        title_en="Case continued",
        body_en="Hello ${name}, your ${service} (reference ${reference}) is going ahead again; "
        "the promised date is ${due_date}.",
        sms_code="SMS_468120022",
    ),
    MessageTemplate(
        key="case_withdrawn",
        audience="villager",
        title_zh="申请已撤回",
        body_zh="${name}您好，您的${service}（受理编号${reference}）已停止办理（${reason}），"
        "您的材料将退还给您。",
        title_en="Application withdrawn",
        body_en="Hello ${name}, your ${service} (reference ${reference}) has stopped "
        "(${reason}); your documents will come back to you.",
        sms_code="SMS_468120023",
    ),
    # To staff (township dispatchers, county supervisors): SMS. No villager's data in them.
    MessageTemplate(
        key="rectification_overdue",
        audience="staff",
        title_zh="差评整改超期",
        body_zh="${township}差评整改第${rectification}号${stage}已超期（期限${due}），"
        "请登录代办系统处理。",
        title_en="Rectification overdue",
        body_en="Rectification no. ${rectification} in ${township} is overdue at ${stage} "
        "(due ${due}). Log in to Daiban to deal with it.",
        sms_code="SMS_468120024",
    ),
)

TEMPLATES: Mapping[str, MessageTemplate] = {t.key: t for t in _ALL}
"""Every message kind, by key."""


def get_template(key: str) -> MessageTemplate:
    """Return the template for ``key``; an unknown key is a ``ValueError`` naming it."""
    try:
        return TEMPLATES[key]
    except KeyError:
        raise ValueError(f"unknown template {key!r}; known: {', '.join(TEMPLATES)}") from None


def render(key: str, variables: Mapping[str, object]) -> Rendered:
    """Render template ``key`` in Chinese and English with ``variables``."""
    return get_template(key).render(variables)


SMS_CODE = re.compile(r"^SMS_\d+$")


def parse_template_codes(text: str) -> dict[str, str]:
    """Approved SMS template codes by template key, from ``key=SMS_code`` entries separated
    by commas or new lines (empty: none, the defaults stand).

    A malformed entry, an unknown key, a key given twice or a code that is not
    ``SMS_<digits>`` is a ``ValueError`` naming the entry.
    """
    codes: dict[str, str] = {}
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry:
            continue
        key, sep, code = (part.strip() for part in entry.partition("="))
        if not sep or not key or not code:
            raise ValueError(f"SMS template code entry {entry!r}: write it as key=SMS_<digits>")
        if key not in TEMPLATES:
            raise ValueError(
                f"SMS template code entry {entry!r}: no template {key!r}; "
                f"known: {', '.join(TEMPLATES)}"
            )
        if key in codes:
            raise ValueError(f"SMS template code entry {entry!r}: {key} is given twice")
        if not SMS_CODE.match(code):
            raise ValueError(f"SMS template code entry {entry!r}: {code!r} is not SMS_<digits>")
        codes[key] = code
    return codes


def unconfigured(codes: Mapping[str, str]) -> list[str]:
    """The template keys still on their shipped placeholder code (not in ``codes``)."""
    return [key for key in TEMPLATES if key not in codes]
