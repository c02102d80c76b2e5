"""`daiban demo-setup` (what `make run` does) as a newcomer meets it: bad data, a retry, a route."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatch.app import create_app
from dispatch.extensions import db, images
from dispatch.models.agents import Agent
from dispatch.models.entrustments import Entrustment
from dispatch.models.plans import Plan
from dispatch.models.users import User
from dispatch.planning.labels import english_label
from dispatch.planning.report import render_report
from dispatch.services.cases import today_cst
from dispatch.services.plans import plan_city
from dispatch.setup.demo import DEMO_LOGINS, DEMO_TOWNSHIP, NON_TASK_STOPS, bind_demo_agent
from dispatch.workdays import is_working_day, next_working_day
from tests.conftest import demo_app

DAIBAN = str(Path(sys.executable).with_name("daiban"))
PASSWORD = {login.username: login.password for login in DEMO_LOGINS}


def _day() -> str:
    today = today_cst()
    return str(today if is_working_day(today) else next_working_day(today))


def _small_divisions(src: Path, dest: Path) -> Path:
    """The city, 揭东区 and the demo township with its villages: a set-up in seconds."""
    dest.mkdir()
    lines = (src / "divisions.csv").read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [
        line
        for line in lines[1:]
        if line.split(",")[0] in ("445200000000", "445203000000")
        or line.startswith(DEMO_TOWNSHIP[:9])
    ]
    (dest / "divisions.csv").write_text("\n".join(keep) + "\n", encoding="utf-8")
    for name in ("counties.geojson", "townships.geojson"):
        shutil.copy(src / name, dest / name)
    return dest


def _setup(db_file: Path, divisions: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{db_file}",
        "DAIBAN_DIVISIONS_DIR": str(divisions),
        "DAIBAN_PLAN_TIME_LIMIT_S": "0.3",
    }
    return subprocess.run(
        [DAIBAN, "demo-setup", "--date", _day()],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_line_error(run: subprocess.CompletedProcess[str], names: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and names in errors[0], run.stderr


def test_bad_data_fails_in_one_line_and_leaves_nothing_then_a_retry_works(tmp_path, divisions_dir):
    data = _small_divisions(divisions_dir, tmp_path / "jieyang")
    db_file = tmp_path / "instance" / "daiban.sqlite3"
    db_file.parent.mkdir()
    good_csv = (data / "divisions.csv").read_text(encoding="utf-8")

    (data / "divisions.csv").write_text(good_csv.replace(",village,", ",hamlet,", 1), "utf-8")
    broken = _setup(db_file, data)
    _one_line_error(broken, str(data / "divisions.csv"))
    assert "line " in broken.stderr and "hamlet" in broken.stderr
    assert list(db_file.parent.iterdir()) == [], "a failed set-up left files behind"

    (data / "divisions.csv").write_text(good_csv, "utf-8")
    (data / "townships.geojson").rename(tmp_path / "townships.geojson")
    missing = _setup(db_file, data)
    _one_line_error(missing, str(data / "townships.geojson"))
    assert "does not exist" in missing.stderr
    assert list(db_file.parent.iterdir()) == []

    (tmp_path / "townships.geojson").rename(data / "townships.geojson")
    fixed = _setup(db_file, data)
    assert fixed.returncode == 0, fixed.stderr
    # The database, and beside it the file store of its signatures (dispatch.filestore).
    assert sorted(p.name for p in db_file.parent.iterdir()) == [
        "daiban.sqlite3",
        "daiban.sqlite3-files",
    ]

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}"})
    with app.app_context():
        signed = db.session.scalars(select(Entrustment.signature_hash)).all()
        assert signed and all(images().get(n).startswith("data:image/") for n in set(signed))
        db.session.remove()
    client = app.test_client()
    for username, password in PASSWORD.items():
        resp = client.post("/api/auth/login", json={"username": username, "password": password})
        assert resp.status_code == 200, (username, resp.get_json())
    token = client.post(
        "/api/auth/login", json={"username": "agent", "password": PASSWORD["agent"]}
    ).get_json()["access_token"]
    route = client.get(
        f"/api/plans/today?day={_day()}", headers={"Authorization": f"Bearer {token}"}
    )
    assert route.status_code == 200, route.get_json()
    stops = route.get_json()["routes"][0]["stops"]
    assert [s for s in stops if s["kind"] not in NON_TASK_STOPS]

    again = _setup(db_file, data)
    assert again.returncode == 0 and "already present" in again.stdout, again.stderr


@pytest.fixture()
def planned_demo(tmp_path, divisions_dir):
    app = demo_app(
        f"sqlite:///{tmp_path / 'bind.sqlite3'}", divisions_dir, seed=7, only={DEMO_TOWNSHIP}
    )
    day = next_working_day(today_cst())
    with app.app_context():
        plan_city(db.session, day, codes=[DEMO_TOWNSHIP], time_limit=0.3, workers=1)
        yield app, day
        db.session.remove()


def test_the_agent_login_moves_to_an_agent_with_stops(planned_demo):
    app, day = planned_demo
    user = db.session.scalar(select(User).where(User.username == "agent"))
    plan = db.session.scalar(select(Plan).where(Plan.day == day))
    assert user is not None and plan is not None and plan.routes
    routed = {r.agent_id for r in plan.routes}
    # Bound to an agent the plan gives nothing, as version 1 of 玉窖镇 once did.
    idle = db.session.scalar(select(Agent.id).where(Agent.id.not_in(routed)).order_by(Agent.id))
    assert idle is not None
    user.agent_id = idle
    db.session.commit()

    agent = bind_demo_agent(db.session, day)

    assert agent is not None and agent.id in routed
    db.session.expire_all()
    assert db.session.get(User, user.id).agent_id == agent.id
    route = next(r for r in plan.routes if r.agent_id == agent.id)
    assert [s for s in route.stops if s.kind not in NON_TASK_STOPS]
    # Bound to an agent with stops, it stays where it is.
    assert bind_demo_agent(db.session, day).id == agent.id


def test_on_a_day_without_a_route_the_agent_gets_the_next_planned_one(planned_demo):
    """`/api/plans/today?upcoming=true` on a day the agent has no route answers the next day
    they have one (the weekend's case); without the flag, and with nothing later, a 404."""
    app, day = planned_demo
    agent = bind_demo_agent(db.session, day)
    assert agent is not None
    client = app.test_client()
    token = client.post(
        "/api/auth/login", json={"username": "agent", "password": PASSWORD["agent"]}
    ).get_json()["access_token"]
    head = {"Authorization": f"Bearer {token}"}
    before = day - timedelta(days=1)

    assert client.get(f"/api/plans/today?day={before}", headers=head).status_code == 404
    ahead = client.get(f"/api/plans/today?day={before}&upcoming=true", headers=head)
    assert ahead.status_code == 200, ahead.get_json()
    assert ahead.get_json()["day"] == str(day)
    assert {r["agent_id"] for r in ahead.get_json()["routes"]} == {agent.id}
    same = client.get(f"/api/plans/today?day={day}&upcoming=true", headers=head)
    assert same.get_json()["id"] == ahead.get_json()["id"]
    after = client.get(f"/api/plans/today?day={day + timedelta(days=1)}&upcoming=1", headers=head)
    assert after.status_code == 404
    assert "or later" in after.get_json()["message"]


@pytest.mark.parametrize(
    ("lang", "lunch", "service"), [("zh", "午休", "服务"), ("en", "Lunch", "At a stop")]
)
def test_the_report_labels_say_one_language(planned_demo, divisions_dir, lang, lunch, service):
    """The demo report's legend and stop titles are in its language alone: no "午休 / lunch"."""
    app, day = planned_demo
    plan = db.session.scalar(select(Plan).where(Plan.day == day))
    names = {a.id: a.name for a in db.session.scalars(select(Agent))}
    html = render_report(plan, {"unassigned_by_reason": {}}, divisions_dir, names, lang)
    assert "午休 / lunch" not in html and " / at a stop" not in html
    assert f"</span>{lunch}</p>" in html and f"</span>{service}\n" in html
    titles = [
        s.label if lang == "zh" else english_label(s.label, s.kind)
        for r in plan.routes
        for s in r.stops
    ]
    assert all(f"{t}</title>" in html for t in titles if t)
    if lang == "en":
        assert not [t for t in titles if "午休" in t or "（取件）" in t]
