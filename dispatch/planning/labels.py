"""Stop labels in both languages: what a stop is for, and where, as a person reads it.

Plans store the Chinese label (``PlanStop.label``); the English one is derived from it here,
template by template, so the pages can follow the language switch without a second column.
Place names (villages, centres, people) stay as they are in both languages.
"""

from __future__ import annotations

import re

#: (Chinese, English) per kind of task; ``{place}`` is the village, centre or person.
TASKS: dict[str, tuple[str, str]] = {
    "collect": ("收件 {place}", "Collect at {place}"),
    "drop": ("交件到中心 {place}", "Hand in at {place}"),
    "county_out": ("送件到 {place}", "Take to {place}"),
    "county_in": ("取证回乡镇 {place}", "Bring certificates back from {place}"),
    "carry_down": ("送证 {place}", "Certificates to {place}"),
    "return": ("送证到 {place}", "Certificates to {place}"),
    "return_home": ("送证上门 {place}", "Certificates to the door, {place}"),
    "visit": ("上门服务 {place}", "Home visit, {place}"),
    "ride": ("上门接送 {place}", "Drive to the centre, {place}"),
    "ride_home": ("送 {place} 回家", "Drive {place} home"),
}
#: The route's own steps.
STEPS: dict[str, tuple[str, str]] = {
    "start": ("出发", "Start"),
    "end": ("返回", "Back"),
    "break": ("午休", "Lunch"),
}
#: Which half of a shipment a stop is, after the task's label.
ROLES: dict[str, tuple[str, str]] = {
    "pickup": ("（取件）", " (pick up)"),
    "delivery": ("（交付）", " (drop off)"),
}
# Plans stored before the labels were bilingual.
_OLD_ROLES = (" (pickup)", " (delivery)")
_OLD_STEPS = {"出发 / start": "start", "返回 / back": "end", "午休 / lunch": "break"}
HOME_ZH = " 家"


def task_label(kind: str, place: str) -> str:
    """The Chinese label of a task of ``kind`` at ``place``."""
    return TASKS[kind][0].format(place=place)


def stop_label(task: str, role: str) -> str:
    """A stop's Chinese label: its task's, with the half of the shipment it is."""
    return task + ROLES[role][0] if role in ROLES else task


def strip_role(label: str) -> str:
    """The task's label without the pickup or delivery mark."""
    for zh, _ in ROLES.values():
        label = label.removesuffix(zh)
    for old in _OLD_ROLES:
        label = label.removesuffix(old)
    return label


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for zh, en in TASKS.values():
        head, tail = zh.split("{place}")
        out.append((re.compile(re.escape(head) + "(?P<place>.+?)" + re.escape(tail) + "$"), en))
    # The longest fixed text first: "送证上门 X" is not "送证 上门 X".
    return sorted(out, key=lambda p: -len(p[0].pattern))


_PATTERNS = _patterns()


def _english_place(place: str) -> str:
    return place.removesuffix(HOME_ZH) + "'s home" if place.endswith(HOME_ZH) else place


def english_label(label: str, kind: str = "") -> str:
    """The English label of a stop whose stored (Chinese) label is ``label``."""
    step = STEPS.get(kind) or STEPS.get(_OLD_STEPS.get(label, ""))
    if step is not None:
        return step[1]
    role = next((k for k, (zh, _) in ROLES.items() if label.endswith(zh)), None)
    role = role or next((r for r in ("pickup", "delivery") if label.endswith(f" ({r})")), None)
    task = strip_role(label)
    for pattern, en in _PATTERNS:
        found = pattern.match(task)
        if found:
            text = en.format(place=_english_place(found["place"]))
            return text + ROLES[role][1] if role else text
    return label


def chinese_label(label: str, kind: str = "") -> str:
    """The stored label as a Chinese reader sees it (older plans kept "出发 / start")."""
    step = STEPS.get(kind) or STEPS.get(_OLD_STEPS.get(label, ""))
    if step is not None:
        return step[0]
    role = next((r for r in ("pickup", "delivery") if label.endswith(f" ({r})")), None)
    return stop_label(strip_role(label), role) if role else label
