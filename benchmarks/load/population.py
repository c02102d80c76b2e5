"""Who the load test's users are: a login for every seeded agent, village staff, one
dispatcher per planned township, and villagers who know a case's reference and phone.

Phones keep their token all day (720 minutes), so the morning peak is syncs, not logins: the
tokens are issued here, as the login would issue them, and written to ``population.json``
for the Locust process. The users share one password hash (argon2 is slow on purpose).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from dispatch.app import create_app
from dispatch.extensions import db
from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.plans import Plan, PlanStatus
from dispatch.models.regions import Level, Region
from dispatch.models.users import Role, User
from dispatch.services.auth import issue_token
from dispatch.services.passwords import hash_password

LOAD_PASSWORD = "load-test-password-2026"


@dataclass
class Population:
    day: str
    agents: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    dispatchers: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[dict[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False))

    @classmethod
    def read(cls, path: Path) -> Population:
        return cls(**json.loads(path.read_text()))


def load_app(env: dict[str, str]) -> Flask:
    """The app on the stack's database, outside the server, for set-up and reconciliation."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SECRET_KEY": env["SECRET_KEY"],
            "JWT_SECRET_KEY": env["JWT_SECRET_KEY"],
            "CELERY_BROKER_URL": "",
        }
    )


def _user(username: str, role: Role, region_id: int | None, pw_hash: str, **kw: Any) -> User:
    return User(username=username, password_hash=pw_hash, role=role, region_id=region_id, **kw)


def build_population(app: Flask, day: date, staff: int, seed: int = 17) -> Population:
    """Create the users (once: a second call reuses them) and issue one token each."""
    rng = random.Random(seed)
    out = Population(day=day.isoformat())
    with app.app_context():
        session = db.session
        pw_hash = hash_password(LOAD_PASSWORD)
        existing = {u.username: u for u in session.scalars(select(User))}
        planned = {
            p.township_id: p.id
            for p in session.scalars(
                select(Plan).where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED)
            )
        }
        users: list[tuple[str, User, dict[str, Any]]] = []
        for agent in session.scalars(select(Agent).where(Agent.active).order_by(Agent.id)):
            name = f"load-agent-{agent.id}"
            user = existing.get(name) or session.scalar(
                select(User).where(User.agent_id == agent.id)
            )
            if user is None:
                user = _user(name, Role.AGENT, agent.region_id, pw_hash, agent_id=agent.id)
                session.add(user)
            users.append(("agents", user, {"agent_id": agent.id}))
        townships = session.scalars(
            select(Region).where(Region.id.in_(planned)).order_by(Region.code)
        ).all()
        for township in townships:
            name = f"load-dispatcher-{township.code}"
            user = existing.get(name) or _user(name, Role.DISPATCHER, township.id, pw_hash)
            session.add(user)
            users.append(("dispatchers", user, {"township": township.code}))
        villages = session.scalars(
            select(Region).where(
                Region.level == Level.VILLAGE,
                Region.parent_id.in_(planned),
                Region.lon.is_not(None),
            )
        ).all()
        for village in rng.sample(list(villages), min(staff, len(villages))):
            name = f"load-staff-{village.code}"
            user = existing.get(name) or _user(name, Role.VILLAGE_STAFF, village.id, pw_hash)
            session.add(user)
            users.append(
                ("staff", user, {"village": village.code, "lon": village.lon, "lat": village.lat})
            )
        session.commit()
        for group, user, extra in users:
            getattr(out, group).append({"token": issue_token(user)["access_token"], **extra})
        pairs = session.execute(
            select(Case.reference, Applicant.phone).join(
                Applicant, Case.applicant_id == Applicant.id
            )
        ).all()
        out.lookups = [
            {"reference": r, "phone": p} for r, p in rng.sample(pairs, min(500, len(pairs)))
        ]
        out.items = list(
            session.scalars(select(ServiceItem.code).where(ServiceItem.active).order_by("code"))
        )
        db.session.remove()
    return out
