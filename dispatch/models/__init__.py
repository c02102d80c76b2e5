"""The domain model, one module per aggregate; importing this registers every table."""

from dispatch.models.access import AccessRecord
from dispatch.models.agents import Agent, Appointment, Vehicle
from dispatch.models.applicants import Applicant
from dispatch.models.base import Base
from dispatch.models.cases import Case, CustodyEvent, StatusChange
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import ClosedDay, ServiceCentre
from dispatch.models.entrustments import Entrustment
from dispatch.models.outbox import Device, OutboxAttempt, OutboxMessage
from dispatch.models.plans import Job, Override, Plan, PlanRoute, PlanStop, StopEvent
from dispatch.models.ratings import Appeal, Rating, Rectification
from dispatch.models.regions import Region
from dispatch.models.register import RegisterEntry
from dispatch.models.users import RevokedToken, User

__all__ = [
    "AccessRecord",
    "Agent",
    "Appeal",
    "Applicant",
    "Appointment",
    "Base",
    "Case",
    "ClosedDay",
    "CustodyEvent",
    "Device",
    "Entrustment",
    "Job",
    "OutboxAttempt",
    "OutboxMessage",
    "Override",
    "Plan",
    "PlanRoute",
    "PlanStop",
    "Rating",
    "Rectification",
    "Region",
    "RegisterEntry",
    "StopEvent",
    "RevokedToken",
    "ServiceCentre",
    "ServiceItem",
    "StatusChange",
    "User",
    "Vehicle",
]
