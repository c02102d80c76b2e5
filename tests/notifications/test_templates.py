"""Templates render in Chinese and English and reject missing variables."""

from __future__ import annotations

import re

import pytest

from notifications.templates import TEMPLATES, get_template, render

EXAMPLES: dict[str, dict[str, object]] = {
    "plan_published": {"plan_date": "3月10日", "plan_version": 4, "stop_count": 12},
    "route_changed": {"plan_date": "3月10日", "plan_version": 5, "changes": "新增玉湖村一站"},
    "urgent_task": {"village": "玉湖村", "task": "低保复核", "deadline": "16:00"},
    "next_stop_reminder": {
        "village": "玉湖村",
        "address": "东门12号",
        "eta": "10:40",
        "service": "社保认证",
    },
    "booking_confirmed": {
        "name": "林阿婆",
        "service": "社保认证",
        "date": "3月11日",
        "time_window": "上午",
    },
    "booking_reminder": {
        "name": "林阿婆",
        "service": "社保认证",
        "date": "3月11日",
        "time_window": "上午",
    },
    "booking_unplanned": {
        "name": "林阿婆",
        "date": "3月11日",
        "time_window": "08:30-10:30",
        "reference": "YY000012",
    },
    "agent_on_the_way": {"name": "林阿婆", "agent_name": "黄志强", "eta_minutes": 15},
    "certificate_ready": {"name": "林阿婆", "certificate": "残疾人证", "delivery_date": "3月14日"},
    "rate_service": {"name": "林阿婆", "service": "社保认证", "link": "https://jy.example/r/8K2"},
    "due_date_moved": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB270104000123",
        "old_date": "2027-02-10",
        "new_date": "2027-02-17",
    },
    "rating_result": {
        "name": "林阿婆",
        "service": "社保认证",
        "reference": "DB261120000123",
        "result": "情况属实，已整改 / found true and put right",
    },
    "supplement_requested": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB261206000123",
        "missing": "户口簿、近期免冠照片",
    },
    "case_refused": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB261206000123",
        "decision": "不予许可",
        "reason": "评定等级不符合发证条件",
    },
    "case_suspended": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB261206000123",
        "reason": "申请人外出务工",
    },
    "case_continued": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB261206000123",
        "due_date": "2026-12-30",
    },
    "case_withdrawn": {
        "name": "林阿婆",
        "service": "残疾人证",
        "reference": "DB261206000123",
        "reason": "申请人撤回",
    },
    "rectification_overdue": {
        "township": "玉窖镇",
        "rectification": 17,
        "stage": "核实 / verification",
        "due": "2026-12-04",
    },
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_kind_the_issue_asks_for_exists() -> None:
    """Four agent kinds, the villager kinds and one staff kind, each with its SMS code."""
    assert set(TEMPLATES) == set(EXAMPLES)
    assert {k for k, t in TEMPLATES.items() if t.audience == "agent"} == {
        "plan_published",
        "route_changed",
        "urgent_task",
        "next_stop_reminder",
    }
    assert {k for k, t in TEMPLATES.items() if t.audience == "staff"} == {"rectification_overdue"}
    assert all(re.fullmatch(r"SMS_\d+", t.sms_code) for t in TEMPLATES.values())
    assert len({t.sms_code for t in TEMPLATES.values()}) == len(TEMPLATES)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_renders_chinese_first_with_english_alongside(key: str) -> None:
    """Both languages are filled in, no placeholder is left, Chinese comes first."""
    rendered = render(key, EXAMPLES[key])
    assert CJK.search(rendered.body_zh) and CJK.search(rendered.title_zh)
    assert not CJK.search(rendered.title_en)
    for value in EXAMPLES[key].values():
        assert str(value) in rendered.body_zh
        assert str(value) in rendered.body_en
    assert "$" not in rendered.text
    assert rendered.text.index(rendered.body_zh) < rendered.text.index(rendered.body_en)
    assert rendered.title.startswith(rendered.title_zh)


def test_route_changed_says_what_changed() -> None:
    """The change description is in the message body."""
    rendered = render("route_changed", EXAMPLES["route_changed"])
    assert "新增玉湖村一站" in rendered.body_zh


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_a_missing_variable_is_a_value_error_naming_it(key: str) -> None:
    """Dropping any one variable fails and the message names it."""
    for name in EXAMPLES[key]:
        partial = {k: v for k, v in EXAMPLES[key].items() if k != name}
        with pytest.raises(ValueError, match=name):
            render(key, partial)


def test_sms_params_are_variables_only() -> None:
    """The SMS carries exactly the variables of the approved text, as strings."""
    params = get_template("agent_on_the_way").sms_params(EXAMPLES["agent_on_the_way"])
    assert params == {"name": "林阿婆", "agent_name": "黄志强", "eta_minutes": "15"}


def test_unknown_template_is_rejected() -> None:
    """An unknown key is a ValueError naming it."""
    with pytest.raises(ValueError, match="no_such_kind"):
        get_template("no_such_kind")
