"""A flask-smorest pager for SQLAlchemy 2.0 ``select()`` statements."""

from __future__ import annotations

from typing import Any

from flask_smorest import Page
from sqlalchemy import Select, func, select

from dispatch.extensions import db


class SelectPage(Page):  # type: ignore[misc]
    collection: Select[Any]

    @property
    def items(self) -> list[Any]:
        # A page number so large its offset overflows a BIGINT is simply past the end.
        if self.page_params.first_item >= 2**31:
            return []
        stmt = self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return list(db.session.scalars(stmt))

    @property
    def item_count(self) -> int:
        counted = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return int(db.session.scalar(counted) or 0)
