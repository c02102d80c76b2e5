"""Helpers for planning tests: a working day, and a plan made through the API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from dispatch.workdays import CST, next_working_day


@pytest.fixture(scope="session")
def work_day() -> date:
    """The next working day after today (CST), so bookings are never in the past."""
    return next_working_day(datetime.now(CST).date())


def publish_day(client, auth, app, day: date) -> dict:
    """Plan and publish the dispatcher's township for ``day``; returns the plan."""
    app.config["JOBS_EAGER"] = True
    resp = client.post(
        "/api/plans/",
        json={"township": "445203103000", "day": day.isoformat()},
        headers=auth("dispatcher"),
    )
    assert resp.status_code == 202, resp.get_json()
    job = client.get(f"/api/jobs/{resp.get_json()['id']}", headers=auth("dispatcher")).get_json()
    assert job["status"] == "done" and job["percent"] == 100, job
    plan_id = job["result"]["plan_ids"][0]
    return client.get(f"/api/plans/{plan_id}", headers=auth("dispatcher")).get_json()


@pytest.fixture()
def planned(client, auth, work_day, app):
    """Plan and publish the dispatcher's township for the working day; returns the plan."""
    return publish_day(client, auth, app, work_day)


def waits_for(release: threading.Event, call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``call`` on a thread while something holds a lock; after a second say whether it
    is still waiting, then ``release`` the holder and give back what ``call`` returned."""
    answers: list[Any] = []
    caller = threading.Thread(target=lambda: answers.append(call()))
    caller.start()
    caller.join(1.0)
    waited = caller.is_alive()
    release.set()
    caller.join(60)
    (answer,) = answers
    return waited, answer
