"""The catalogue of service items (事项目录): readable by all, kept by the admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from dispatch.errors import Conflict
from dispatch.models.catalog import ServiceItem
from dispatch.models.session import DbSession
from dispatch.services.scoping import one_or_404


def list_items(
    level: str | None = None,
    in_person: bool | None = None,
    q: str | None = None,
    active: bool | None = None,
) -> Select[Any]:
    stmt = select(ServiceItem).order_by(ServiceItem.code)
    if level:
        stmt = stmt.where(ServiceItem.level == level)
    if in_person is not None:
        stmt = stmt.where(ServiceItem.in_person == in_person)
    if active is not None:
        stmt = stmt.where(ServiceItem.active == active)
    if q:
        stmt = stmt.where(
            or_(
                ServiceItem.name.contains(q),
                ServiceItem.name_en.contains(q),
                ServiceItem.code.contains(q),
            )
        )
    return stmt


def get_item(session: DbSession, code: str) -> ServiceItem:
    stmt = select(ServiceItem).where(ServiceItem.code == code)
    return one_or_404(session, stmt, "事项 item", code)  # type: ignore[no-any-return]


def create_item(session: DbSession, code: str, **fields: Any) -> ServiceItem:
    if session.scalar(select(ServiceItem.id).where(ServiceItem.code == code)) is not None:
        raise Conflict(f"事项编码 {code} 已存在 / Item code {code} exists")
    item = ServiceItem(code=code, **fields)
    session.add(item)
    session.commit()
    return item


def update_item(session: DbSession, item: ServiceItem, **fields: Any) -> ServiceItem:
    for key, value in fields.items():
        setattr(item, key, value)
    session.commit()
    return item
