"""Retention: a case closed past its period loses its receipts' signatures, photos and
positions; its custody chain and history stay, and a second run removes nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update

from dispatch.cli import cli
from dispatch.extensions import db
from dispatch.jobs.schedule import retention_job
from dispatch.models.applicants import Applicant
from dispatch.models.cases import CustodyEvent, StatusChange
from dispatch.models.plans import Plan, PlanRoute, PlanStop
from dispatch.models.regions import Region
from dispatch.services import branches, cases
from dispatch.services.retention import PURGE_NOTE, Periods, purge_expired

from .conftest import World

SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGAAAAAFAAGq"
)
PHOTO = (
    "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U"
)


def signed_hand_over(world: World, case: Any, photo: str = PHOTO) -> None:
    """The case goes to the home agent on a signed, photographed receipt with a position."""
    cases.hand_over(
        db.session,
        world.scope,
        case,
        "agent",
        world.home.agent,
        lon=116.31,
        lat=23.51,
        signature_png=SIGNATURE,
        photo_jpeg=photo,
    )


def withdrawn_home(world: World, case: Any) -> None:
    """The villager withdraws the case the agent holds; the file comes back and it is
    cancelled (a held case is never cancelled bare)."""
    branches.withdraw(db.session, world.scope, case, "本人撤回")
    cases.hand_over(
        db.session,
        world.scope,
        case,
        "applicant",
        case.applicant_id,
        lon=116.31,
        lat=23.51,
        signature_png=SIGNATURE,
        photo_jpeg=PHOTO,
    )
    assert case.status == "cancelled"


def _case_with_receipt(world: World, closed_days_ago: int | None) -> int:
    """A case handed to the agent with a signed receipt and a photo of its own; cancelled if
    asked."""
    cid = world.case(world.home)
    with world.app.app_context():
        case = cases.get_case(db.session, world.scope, cid)
        signed_hand_over(world, case, photo=f"{PHOTO}{cid:08d}")
        if closed_days_ago is not None:
            withdrawn_home(world, case)
            # Set-up: the case closed that long ago (its history is dated then).
            db.session.execute(
                update(StatusChange)
                .where(StatusChange.case_id == cid)
                .values(at=datetime.now(UTC) - timedelta(days=closed_days_ago))
            )
            db.session.commit()
        db.session.remove()
    return cid


RECEIPTS = (
    "SELECT seq, from_kind, to_kind, to_id, at, signature_hash, photo_hash, lon "
    "FROM custody_events WHERE case_id = :c ORDER BY seq"
)
MANDATES = (
    "SELECT agent_id, materials, valid_until, signed_at, signature_hash, thumbprint_hash "
    "FROM entrustments WHERE case_id = :c ORDER BY id"
)


def _raw(app, sql, cid):
    """The stored rows of one case, as the database holds them."""
    with app.app_context():
        rows = db.session.execute(text(sql), {"c": cid}).all()
        db.session.remove()
    return rows


def _receipts(app, cid):
    return _raw(app, RECEIPTS, cid)


def _entrustments(app, cid):
    return _raw(app, MANDATES, cid)


def _stored(app, name: str) -> bool:
    """Whether the file store holds a file of that name."""
    try:
        app.extensions["daiban.files"].store.get(name)
    except FileNotFoundError:
        return False
    return True


def test_closed_case_past_its_period_is_purged_and_its_chain_kept(app, world):
    """Signature, photo and position gone from the raw row; who, whom and when remain."""
    old = _case_with_receipt(world, closed_days_ago=400)
    recent = _case_with_receipt(world, closed_days_ago=10)
    still_open = _case_with_receipt(world, closed_days_ago=None)
    before = _receipts(app, old)
    # The first receipt's photo is this case's own; the others' images other cases share.
    photos = {before[0].photo_hash}
    assert all(photos) and all(_stored(app, p) for p in photos)
    mandate = _entrustments(app, old)
    assert mandate and mandate[0].signature_hash  # the case is entrusted on a signed form
    with app.app_context():
        done = purge_expired(db.session, Periods(receipts_days=365))
        again = purge_expired(db.session, Periods(receipts_days=365))
        notes = db.session.scalars(
            select(StatusChange.note).where(StatusChange.case_id == old)
        ).all()
        db.session.remove()
    after = _receipts(app, old)
    assert done.cases >= 1 and done.receipts >= 1 and done.entrustments >= 1
    assert again.receipts == 0 and again.cases == 0 and again.entrustments == 0
    assert [r[:5] for r in after] == [r[:5] for r in before]  # the custody chain
    assert all(r.signature_hash is None and r.photo_hash is None and r.lon is None for r in after)
    assert notes.count(PURGE_NOTE) == 1
    assert not any(_stored(app, p) for p in photos)  # the files are gone too
    # The mandate stays on record (who entrusted whom, with what, until when), unsigned.
    after_mandate = _entrustments(app, old)
    assert [r[:4] for r in after_mandate] == [r[:4] for r in mandate]
    assert all(r.signature_hash is None and r.thumbprint_hash is None for r in after_mandate)
    for kept in (recent, still_open):
        assert all(r.signature_hash and r.photo_hash for r in _receipts(app, kept))
        assert all(_stored(app, r.photo_hash) for r in _receipts(app, kept))
        assert all(r.signature_hash for r in _entrustments(app, kept))


def test_purge_command_reports_counts(app, world):
    """`daiban purge-expired` runs the same job and says what it removed."""
    _case_with_receipt(world, closed_days_ago=800)
    result = app.test_cli_runner().invoke(cli, args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "entrustments of" in result.output and not result.output.startswith("已清除 0 件")
    with app.app_context():
        assert db.session.scalar(select(CustodyEvent.id).limit(1)) is not None
        db.session.remove()


def test_the_embedded_schedule_runs_the_purge_once_a_day(app, world):
    """Without Celery the server's daily job purges a case past its period, then waits a day."""
    old = _case_with_receipt(world, closed_days_ago=500)
    job = retention_job(app)
    job.stamp.unlink(missing_ok=True)
    assert job.run_if_due() is True
    assert all(r.signature_hash is None and r.lon is None for r in _receipts(app, old))
    assert job.run_if_due() is False


HOME = (116.347123, 23.561987)  # one villager's door, to the metre


def _past_home_visit(world: World, day: date, applicant_id: int) -> int:
    """A draft plan of ``day`` with one stop at the applicant's door, and the problem and
    solution documents that hold the same point."""
    with world.app.app_context():
        name = db.session.get(Applicant, applicant_id).name
        town = db.session.scalar(select(Region).where(Region.code == "445203103000"))
        at = datetime.combine(day, datetime.min.time(), UTC)
        plan = Plan(
            township_id=town.id,
            day=day,
            version=1,
            problem={"jobs": [{"id": 1, "location": list(HOME), "description": "visit"}]},
            solution={"routes": [{"steps": [{"location": list(HOME)}]}]},
        )
        route = PlanRoute(plan=plan, agent_id=world.home.agent)
        route.stops.append(
            PlanStop(seq=1, kind="job", label=f"上门服务 {name} 家", lon=HOME[0], lat=HOME[1],
                     applicant_id=applicant_id, arrival=at, departure=at, action="visit")
        )  # fmt: skip
        db.session.add_all([plan, route])
        db.session.commit()
        stop_id = route.stops[0].id
        db.session.remove()
    return stop_id


def _stop(app, stop_id):
    with app.app_context():
        stop = db.session.get(PlanStop, stop_id)
        plan = stop.route.plan
        seen = (stop.lon, stop.lat, stop.label, plan.problem, plan.solution, stop.arrival)
        db.session.remove()
    return seen


def test_a_past_home_visit_keeps_when_and_loses_where_and_whose(app, world):
    """A plan older than its period: the home stop's point goes to 0.01° in the stop and in
    both documents, the name leaves the label; the time stays; a recent plan is untouched;
    a second run changes nothing."""
    aid = world.applicant(world.home.village)
    old = _past_home_visit(world, date.today() - timedelta(days=400), aid)
    recent = _past_home_visit(world, date.today() - timedelta(days=20), aid)
    name = _stop(app, old)[2].split()[1]
    with app.app_context():
        done = purge_expired(db.session, Periods(routes_days=365))
        again = purge_expired(db.session, Periods(routes_days=365))
        db.session.remove()
    lon, lat, label, problem, solution, arrival = _stop(app, old)
    assert (lon, lat) == (116.35, 23.56) and name not in label and "村民" in label
    assert problem["jobs"][0]["location"] == [116.35, 23.56]
    assert solution["routes"][0]["steps"][0]["location"] == [116.35, 23.56]
    assert arrival is not None and done.home_stops >= 1 and again.home_stops == 0
    assert _stop(app, recent)[:3] == (*HOME, f"上门服务 {name} 家")


def test_erasure_blurs_the_persons_past_home_stops(app, client, auth, world):
    """The person's copy lists their home stops; an erasure blurs the point and the name."""
    aid = world.applicant(world.home.village)
    stop = _past_home_visit(world, date.today() - timedelta(days=3), aid)
    name = _stop(app, stop)[2].split()[1]
    copy = client.get(f"/api/privacy/applicants/{aid}/export", headers=auth("admin")).get_json()
    [visit] = copy["home_stops"]
    assert (visit["lon"], visit["lat"]) == HOME and name in visit["label"]
    resp = client.post(
        f"/api/privacy/applicants/{aid}/erase", json={"reason": "本人申请"}, headers=auth("admin")
    )
    assert resp.status_code == 200, resp.get_json()
    lon, lat, label, problem, _, _ = _stop(app, stop)
    assert (lon, lat) == (116.35, 23.56) and name not in label
    assert problem["jobs"][0]["location"] == [116.35, 23.56]


def test_a_plans_home_points_are_sealed_at_rest(app, world):
    """A home stop's point, in the stop and in the plan's documents, is stored sealed."""
    aid = world.applicant(world.home.village)
    stop_id = _past_home_visit(world, date.today() - timedelta(days=30), aid)
    with app.app_context():
        stop = db.session.execute(
            text("SELECT lon, lat, route_id FROM plan_stops WHERE id = :s"), {"s": stop_id}
        ).one()
        plan = db.session.execute(
            text(
                "SELECT p.problem, p.solution FROM plans p JOIN plan_routes r ON r.plan_id = p.id"
                " WHERE r.id = :r"
            ),
            {"r": stop.route_id},
        ).one()
        db.session.remove()
    raw = [str(v) for v in (stop.lon, stop.lat, *plan)]
    assert all(v.startswith("v1.") for v in raw)
    assert not any(str(HOME[0]) in v or str(HOME[1]) in v for v in raw)
    assert _stop(app, stop_id)[:2] == HOME  # and the app reads them whole
