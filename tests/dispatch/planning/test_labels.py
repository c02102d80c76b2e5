"""Stop labels in one language at a time: no "出发 / start", no "(pickup)" on a Chinese page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.regions import Region
from dispatch.planning.labels import (
    ROLES,
    STEPS,
    TASKS,
    chinese_label,
    english_label,
    stop_label,
    strip_role,
    task_label,
)
from dispatch.services.cases import today_cst
from dispatch.services.plans import plan_city
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import next_working_day


@pytest.mark.parametrize("kind", sorted(TASKS))
@pytest.mark.parametrize("role", ["job", "pickup", "delivery"])
def test_every_task_label_has_its_english(kind, role):
    label = stop_label(task_label(kind, "玉窖村"), role)
    english = english_label(label, role)
    assert english == TASKS[kind][1].format(place="玉窖村") + ROLES.get(role, ("", ""))[1]
    assert chinese_label(label, role) == label
    assert strip_role(label) == task_label(kind, "玉窖村")


def test_the_longer_verb_wins_and_a_home_is_a_home():
    assert english_label("送证上门 玉窖村") == "Certificates to the door, 玉窖村"
    assert english_label("送证到 玉窖村（交付）") == "Certificates to 玉窖村 (drop off)"
    assert english_label("送证 陈秀英 家") == "Certificates to 陈秀英's home"
    assert english_label("送 陈秀英 回家") == "Drive 陈秀英 home"


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_route_steps_in_each_language(kind):
    assert english_label(STEPS[kind][0], kind) == STEPS[kind][1]
    assert chinese_label(STEPS[kind][0], kind) == STEPS[kind][0]


def test_plans_stored_before_read_in_one_language():
    """Older rows said "出发 / start" and "收件 X (pickup)"."""
    assert chinese_label("出发 / start", "start") == "出发"
    assert english_label("午休 / lunch", "break") == "Lunch"
    assert chinese_label("收件 玉窖村 (pickup)", "pickup") == "收件 玉窖村（取件）"
    assert english_label("收件 玉窖村 (pickup)", "pickup") == "Collect at 玉窖村 (pick up)"
    assert strip_role("交件到中心 玉窖镇代办中心 (delivery)") == "交件到中心 玉窖镇代办中心"


def test_plan_answers_carry_both(app, client, auth):
    """Every stop of a planned day has a Chinese and an English label, neither mixed."""
    day = next_working_day(today_cst() + timedelta(days=40))
    with app.app_context():
        summary = plan_city(db.session, day, codes=[DEMO_TOWNSHIP], time_limit=0.3, workers=1)
        db.session.remove()
    plan_id = summary.as_dict()["plan_ids"][0]
    plan = client.get(f"/api/plans/{plan_id}", headers=auth("dispatcher")).get_json()
    stops = [s for r in plan["routes"] for s in r["stops"]]
    assert {s["kind"] for s in stops} >= {"start", "end", "pickup", "delivery"}
    for stop in stops:
        assert stop["label_en"] != stop["label"], stop
        for zh, en in list(ROLES.values()) + list(STEPS.values()):
            assert zh.strip("（）") not in stop["label_en"] and en.strip() not in stop["label"]
        # Only place names stay Chinese: the label starts with an English verb.
        assert stop["label_en"].split(" ")[0].isascii(), stop["label_en"]


def test_the_plan_diff_names_villages_and_case_numbers(app, client, auth):
    """A first version's diff lists every task as added, each with its label and cases."""
    day = next_working_day(today_cst() + timedelta(days=45))
    with app.app_context():
        summary = plan_city(db.session, day, codes=[DEMO_TOWNSHIP], time_limit=0.3, workers=1)
        db.session.remove()
    plan_id = summary.as_dict()["plan_ids"][0]
    head = auth("dispatcher")
    plan = client.get(f"/api/plans/{plan_id}", headers=head).get_json()
    diff = client.get(f"/api/plans/{plan_id}/diff", headers=head).get_json()
    added = [k for a in diff["agents"] for k in a["added"]]
    assert added and set(added) <= set(diff["tasks"])
    refs = {
        s["task_key"]: [c["reference"] for c in s["cases"]]
        for r in plan["routes"]
        for s in r["stops"]
        if s["task_key"]
    }
    for key in added:
        named = diff["tasks"][key]
        assert ":" not in named["label"] and ":" not in named["label_en"], named
        assert named["label_en"].split(" ")[0].isascii()
        assert named["cases"] == refs[key]
    collect = next(k for k in added if k.startswith("collect:"))
    village = collect.split(":")[1]
    with app.app_context():
        name = db.session.scalar(select(Region.name).where(Region.code == village))
    assert name in diff["tasks"][collect]["label"]
