"""The city's morning: agents syncing and reporting stops, village staff booking visits,
dispatchers re-planning, villagers looking up their cases.

Run by ``benchmarks/load/run.py`` (``make load-quick``), which starts the stack and writes
``population.json``; the settings come from ``LOAD_*`` environment variables. What the
server acknowledged (stop reports answered 2xx with their keys, bookings answered 201) is
written to the ledger file at the end, for the reconciliation against the database.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import struct
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, LoadTestShape, between, events, task
from locust.stats import calculate_response_time_percentile

POP: dict[str, Any] = json.loads(open(os.environ["LOAD_POPULATION"]).read())  # noqa: SIM115
DAY = POP["day"]
SYNC_EVERY = float(os.environ.get("LOAD_SYNC_EVERY_S", "30"))
REPORT_P = float(os.environ.get("LOAD_REPORT_P", "0.5"))
STAFF_THINK = float(os.environ.get("LOAD_STAFF_THINK_S", "30"))
REPLAN_EVERY = float(os.environ.get("LOAD_REPLAN_EVERY_S", "1200"))
PEAK_S = float(os.environ.get("LOAD_PEAK_S", "600"))
CUTS = int(os.environ.get("LOAD_CUT_SYNCS", "0"))
MODE = os.environ.get("LOAD_MODE", "quick")

LEDGER: dict[str, Any] = {
    "reports": [],  # acknowledged stop reports: key, stop named, status, stop applied to
    "reports_refused": [],  # 4xx answers to a report (kept unapplied, or an illegal move)
    "reports_queued": 0,  # still in a phone's queue when the run ended
    "bookings": [],  # bookings answered 201
    "booking_conflicts": 0,
    "plans_published": 0,
    "jobs": [],
    "cuts": 0,
    "statuses": Counter(),
    "ramp": [],
}
_agents = itertools.cycle(POP["agents"])
_staff = itertools.cycle(POP["staff"])
_dispatchers = itertools.cycle(POP["dispatchers"])


@events.request.add_listener
def _count_status(name: str, response: Any, exception: Any, **_: Any) -> None:
    code = getattr(response, "status_code", 0) or 0
    LEDGER["statuses"][f"{name} {code}"] += 1


@events.quitting.add_listener
def _write_ledger(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_LEDGER")
    if path:
        out = dict(LEDGER, statuses=dict(LEDGER["statuses"]))
        with open(path, "w") as f:
            json.dump(out, f)


def _retry_wait(attempt: int, response: Any) -> float:
    """The phone's back-off: 1 s doubling up to 30 s, or the server's Retry-After if longer."""
    wait = min(30.0, 2.0**attempt)
    retry_after = (getattr(response, "headers", None) or {}).get("Retry-After")
    if retry_after and retry_after.isdigit():
        wait = max(wait, float(retry_after))
    return wait


def _transient(code: int) -> bool:
    return code == 0 or code == 429 or code >= 500


class _Phone(FastHttpUser):
    abstract = True
    network_timeout = 20.0
    connection_timeout = 10.0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AgentUser(_Phone):
    """One seeded agent's phone: sync every 30 s, report the next stop, retry with its key."""

    fixed_count = int(os.environ.get("LOAD_AGENTS", str(len(POP["agents"]))))
    wait_time = between(SYNC_EVERY * 0.9, SYNC_EVERY * 1.1)

    def on_start(self) -> None:
        me = next(_agents)
        self.token = me["token"]
        self.queue: list[dict[str, Any]] = []
        gevent.sleep(random.uniform(0, min(SYNC_EVERY, 20)))  # phones open over a while

    def on_stop(self) -> None:
        LEDGER["reports_queued"] += len(self.queue)

    @task
    def sync(self) -> None:
        plan = self.fetch_today()
        if plan is not None and not self.queue and random.random() < REPORT_P:
            action = self.next_action(plan)
            if action is not None:
                self.queue.append(action)
        while self.queue:
            if not self.send(self.queue[0]):
                return  # given up for now; the next sync retries it
            self.queue.pop(0)

    def fetch_today(self) -> dict[str, Any] | None:
        with self.client.get(
            f"/api/plans/today?day={DAY}",
            headers=self.headers(),
            name="/api/plans/today",
            catch_response=True,
        ) as r:
            if r.status_code == 404:
                r.success()  # no route for this agent today
                return None
            if r.status_code != 200:
                return None
            return r.json()  # type: ignore[no-any-return]

    @staticmethod
    def next_action(plan: dict[str, Any]) -> dict[str, Any] | None:
        for route in plan.get("routes", []):
            for stop in route["stops"]:
                if not stop.get("task_key"):
                    continue
                nxt = {"planned": "arrived", "arrived": "done"}.get(stop["status"])
                if nxt:
                    key = uuid.uuid4().hex
                    return {"stop_id": stop["id"], "status": nxt, "key": key}
        return None

    def send(self, action: dict[str, Any]) -> bool:
        """One action, retried on a cut or a 5xx like the phone; True once answered."""
        body = {"status": action["status"], "idempotency_key": action["key"]}
        for attempt in range(8):
            if CUTS and LEDGER["cuts"] < CUTS and random.random() < 0.5:
                self.cut(action["stop_id"], body)
                gevent.sleep(min(30.0, 2.0**attempt) * 0.1)
                continue
            with self.client.request(
                "PATCH",
                f"/api/plans/stops/{action['stop_id']}",
                json=body,
                headers=self.headers(),
                name="/api/plans/stops/[id]",
                catch_response=True,
            ) as r:
                code = r.status_code or 0
                if 200 <= code < 300:
                    answer = r.json()
                    LEDGER["reports"].append(action | {"applied_to": answer["id"], "code": code})
                    return True
                if not _transient(code):
                    r.success()  # a 409/404 is the server's considered answer
                    LEDGER["reports_refused"].append(action | {"code": code})
                    return True
            gevent.sleep(_retry_wait(attempt, r))
        return False

    def cut(self, stop_id: int, body: dict[str, Any]) -> None:
        """Send the report and drop the connection at a random point: inside the request,
        or after it, before or while the answer comes back."""
        url = urlsplit(self.host)
        payload = json.dumps(body).encode()
        head = (
            f"PATCH /api/plans/stops/{stop_id} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        raw = head + payload
        point = random.randint(1, len(raw) + 40)
        LEDGER["cuts"] += 1
        started = time.perf_counter()
        try:
            with socket.create_connection((url.hostname, url.port), timeout=10) as s:
                s.sendall(raw[:point])
                if point > len(raw):  # all sent: hang up after a random moment
                    gevent.sleep(random.uniform(0, 0.05) * (point - len(raw)))
                # linger 0: the close is a reset, as when a phone loses its signal
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        events.request.fire(
            request_type="CUT",
            name="/api/plans/stops/[id] (cut)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
            response=None,
            context={},
        )


class StaffUser(_Phone):
    """Village staff: register a villager and a case, look up slots, book one."""

    fixed_count = int(os.environ.get("LOAD_STAFF", str(len(POP["staff"]))))
    wait_time = between(STAFF_THINK * 0.5, STAFF_THINK * 1.5)

    def on_start(self) -> None:
        me = next(_staff)
        self.token, self.village = me["token"], me
        self.rng = random.Random()
        gevent.sleep(random.uniform(0, STAFF_THINK))

    def _id_number(self) -> str:
        from dispatch.services.validation import id_check_char

        born = f"19{self.rng.randrange(30, 60)}{self.rng.randrange(1, 13):02d}"
        first17 = f"{self.village['village'][:6]}{born}{self.rng.randrange(1, 29):02d}"
        first17 += f"{self.rng.randrange(0, 1000):03d}"
        return first17 + id_check_char(first17)

    @task
    def register_and_book(self) -> None:
        v = self.village
        applicant = {
            "name": "测试" + "".join(self.rng.sample("明华建国秀英志强桂芳", 2)),
            "phone": "139" + f"{self.rng.randrange(0, 10**8):08d}",
            "id_number": self._id_number(),
            "village": v["village"],
            "lon": round(v["lon"] + self.rng.uniform(-0.004, 0.004), 6),
            "lat": round(v["lat"] + self.rng.uniform(-0.004, 0.004), 6),
            "vulnerable": True,
        }
        r = self.client.post("/api/applicants/", json=applicant, headers=self.headers())
        if r.status_code != 201:
            return
        applicant_id = r.json()["id"]
        item = self.rng.choice(POP["items"])
        case_body = {"applicant_id": applicant_id, "item_code": item, "channel": "agent"}
        r = self.client.post("/api/cases/", json=case_body, headers=self.headers())
        if r.status_code != 201:
            return
        case_id = r.json()["id"]
        r = self.client.get(
            f"/api/bookings/slots?applicant_id={applicant_id}&date={DAY}&case_id={case_id}",
            headers=self.headers(),
            name="/api/bookings/slots",
        )
        if r.status_code != 200:
            return
        free = [s["label"] for s in r.json() if s["available"]]
        if not free:
            return
        body = {"applicant_id": applicant_id, "date": DAY, "slot": free[0], "case_id": case_id}
        with self.client.post(
            "/api/bookings/", json=body, headers=self.headers(), catch_response=True
        ) as r:
            if r.status_code == 201:
                LEDGER["bookings"].append(body | {"appointment_id": r.json()["id"]})
            elif r.status_code == 409:
                r.success()  # taken meanwhile: the API said so
                LEDGER["booking_conflicts"] += 1


class DispatcherUser(_Phone):
    """A township dispatcher: re-plan and publish a few times an hour; every other time
    through a planning job (Celery), polled until it ends."""

    fixed_count = int(os.environ.get("LOAD_DISPATCHERS", str(len(POP["dispatchers"]))))
    wait_time = between(REPLAN_EVERY * 0.5, REPLAN_EVERY * 1.5)

    def on_start(self) -> None:
        me = next(_dispatchers)
        self.token, self.township = me["token"], me["township"]
        self.turn = random.randrange(2)
        gevent.sleep(random.uniform(0, REPLAN_EVERY))

    @task
    def replan(self) -> None:
        self.turn += 1
        if self.turn % 2:
            self.plan_job()
            return
        r = self.client.get(
            f"/api/plans/?township={self.township}&day={DAY}&status=published",
            headers=self.headers(),
            name="/api/plans/?township",
        )
        if r.status_code != 200 or not r.json():
            return
        plan_id = r.json()[0]["id"]
        r = self.client.post(
            f"/api/plans/{plan_id}/replan",
            json={"reason": "负载测试 / load test"},
            headers=self.headers(),
            name="/api/plans/[id]/replan",
        )
        if r.status_code != 201:
            return
        with self.client.post(
            f"/api/plans/{r.json()['plan_id']}/publish",
            headers=self.headers(),
            name="/api/plans/[id]/publish",
            catch_response=True,
        ) as p:
            if p.status_code == 200:
                LEDGER["plans_published"] += 1
            elif p.status_code == 409:
                p.success()  # another version was published meanwhile

    def plan_job(self) -> None:
        r = self.client.post(
            "/api/plans/", json={"township": self.township, "day": DAY}, headers=self.headers()
        )
        if r.status_code != 202:
            return
        job_id = r.json()["id"]
        for _ in range(90):
            gevent.sleep(2)
            j = self.client.get(
                f"/api/jobs/{job_id}", headers=self.headers(), name="/api/jobs/[id]"
            )
            if j.status_code == 200 and j.json()["status"] in ("done", "failed"):
                LEDGER["jobs"].append({"id": job_id, "status": j.json()["status"]})
                return
        LEDGER["jobs"].append({"id": job_id, "status": "unfinished"})


class VillagerUser(FastHttpUser):
    """A villager looking up a case by reference and phone, each from their own address."""

    fixed_count = int(os.environ.get("LOAD_VILLAGERS", "5"))
    wait_time = between(1, 4)
    network_timeout = 20.0

    @task
    def lookup(self) -> None:
        pair = random.choice(POP["lookups"])
        addr = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.client.get(
            f"/api/public/cases/lookup?reference={pair['reference']}&phone={pair['phone']}",
            headers={"X-Forwarded-For": addr},
            name="/api/public/cases/lookup",
        )


class RampReader(AgentUser):
    """Extra phones for the ramp after the peak: they only sync (tokens reused)."""

    fixed_count = 0
    weight = 1
    wait_time = between(SYNC_EVERY * 0.9, SYNC_EVERY * 1.1)

    def on_start(self) -> None:
        self.token = next(_agents)["token"]
        self.queue = []

    @task
    def sync(self) -> None:
        self.fetch_today()


def _window(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Requests, percentiles and 5xx answers between two ``_mark``s."""
    times = {t: n - then["times"].get(t, 0) for t, n in now["times"].items()}
    count = now["requests"] - then["requests"]
    seconds = max(now["at"] - then["at"], 1e-9)
    five = sum(
        n - then["statuses"].get(k, 0)
        for k, n in now["statuses"].items()
        if k.rsplit(" ", 1)[1].startswith("5")
    )
    out = {"requests": count, "rps": round(count / seconds, 1), "5xx": five}
    for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        out[name] = calculate_response_time_percentile(times, count, q) if count else 0
    return out


def _mark(entry: Any, at: float | None = None) -> dict[str, Any]:
    """What a stats entry holds now (with the status counts of its name), to diff against."""
    name = None if entry.name == "Aggregated" else entry.name
    return {
        "at": time.monotonic() if at is None else at,
        "times": dict(entry.response_times),
        "requests": entry.num_requests,
        "statuses": {
            k: n for k, n in LEDGER["statuses"].items() if name is None or k.startswith(name + " ")
        },
    }


if MODE == "full":

    class PeakThenRamp(LoadTestShape):
        """The peak for ``LOAD_PEAK_S``, then 150 more phones a minute until a minute's p95
        passes 1 s (the knee). The peak's figures per endpoint, and each ramp step's over the
        whole step (not Locust's last 10 s), go to the ledger."""

        step_s = float(os.environ.get("LOAD_STEP_S", "60"))
        step_users = int(os.environ.get("LOAD_STEP_USERS", "150"))
        max_steps = 20
        knee_ms = 1000

        def __init__(self) -> None:
            super().__init__()
            self.started: float | None = None
            self.step = -1
            self.step_mark: dict[str, Any] = {}

        def tick(self) -> tuple[int, float] | None:
            base = sum(c.fixed_count for c in (AgentUser, StaffUser, DispatcherUser, VillagerUser))
            stats = self.runner.environment.stats
            self.started = self.started or time.monotonic()
            t = self.get_run_time()
            if t < PEAK_S:
                return base, 50.0
            step = int((t - PEAK_S) // self.step_s)
            if self.step < 0:
                self.record_peak(stats)
            elif step != self.step:
                level = _window(_mark(stats.total), self.step_mark)
                users = base + self.step * self.step_users
                LEDGER["ramp"].append({"step": self.step, "users": users} | level)
                if level["p95_ms"] > self.knee_ms or step >= self.max_steps:
                    return None
            if step != self.step:
                self.step, self.step_mark = step, _mark(stats.total)
            return base + step * self.step_users, 20.0

        def record_peak(self, stats: Any) -> None:
            """The peak alone, per endpoint: everything up to its end."""
            start = {"at": self.started, "times": {}, "requests": 0, "statuses": {}}
            peak = {"all": _window(_mark(stats.total), start)}
            for (name, method), entry in stats.entries.items():
                if not name.endswith("(cut)"):
                    peak[f"{method} {name}"] = _window(_mark(entry), start)
            LEDGER["peak"] = {"seconds": PEAK_S, "endpoints": peak}
