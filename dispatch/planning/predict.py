"""Predicted completion dates from the shuttle schedule, office days and promised days.

The model, in working days:
- documents reach the township centre on the next planned collection (today if today's plan
  collects them, else the next working day);
- the township car takes what is at the centre before it leaves (the cut-off) to the county
  or city centre on its next run; what arrives later waits for the following run;
- the deciding office needs the item's promise less the days the relay itself takes;
- the certificate comes back down on the next run and reaches the villager a day later.
"""

from __future__ import annotations

from datetime import date

from dispatch.models.cases import Case, Status
from dispatch.workdays import add_working_days, cst_date, next_working_day

TRANSIT_DAYS = {"township": 1, "county": 3, "city": 3}


def processing_days(case: Case) -> int:
    return max(1, case.item.promised_days - TRANSIT_DAYS.get(case.item.level, 2))


def _moves_on(day: date, today: date, planned_today: bool) -> date:
    """The day a leg happens: today if today's plan has it, else the next working day."""
    if day <= today:
        return today if planned_today else next_working_day(today)
    return day


def predict(
    case: Case, today: date, planned_today: bool, arrived: date | None = None
) -> date | None:
    """When the villager should have the result in hand; None while the clock is stopped
    (补正, 中止): nobody knows when the villager will be back."""
    status = Status(case.status)
    goes_up = case.item.level in ("county", "city")
    if status in (Status.SUPPLEMENT, Status.SUPPLEMENTING, Status.SUSPENDED):
        return None
    if status in (Status.DELIVERED, Status.CLOSED):
        return arrived or today
    if status in (Status.RETURNING, Status.REFUSED, Status.WITHDRAWN):
        return _moves_on(today, today, planned_today)
    if status == Status.DECIDED:
        back = _moves_on(today, today, planned_today)
        return add_working_days(back, 1) if goes_up else back
    if status == Status.AT_COUNTY:
        # An office that is late still decides no earlier than today.
        decided = max(add_working_days(arrived or today, processing_days(case)), today)
        return add_working_days(decided, 2)
    if status == Status.AT_TOWNSHIP:
        if not goes_up:
            decided = max(add_working_days(arrived or today, processing_days(case)), today)
            return add_working_days(decided, 1)
        at_county = _moves_on(today, today, planned_today)
        return add_working_days(add_working_days(at_county, processing_days(case)), 2)
    # Still in the village: registered, returned, materials checked, or with the agent.
    at_township = _moves_on(
        today, today, planned_today and status in (Status.MATERIALS_CHECKED, Status.WITH_AGENT)
    )
    if goes_up:
        at_township = next_working_day(at_township)  # misses the car's cut-off that day
    decided = add_working_days(at_township, processing_days(case))
    return add_working_days(decided, 2 if goes_up else 1)


def arrival_date(case: Case) -> date | None:
    """When the documents reached their current holder (the last hand-over)."""
    return cst_date(case.custody[-1].at) if case.custody else None
