"""The construction register (建设台账): what the plan's section 六 asks of every village room
and every township, with the date each item was completed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, utcnow
from dispatch.models.regions import Region

# Key, Chinese, English: the plan's section 六, in its order.
VILLAGE_ITEMS = (
    ("staff", "至少一名工作人员", "at least one staff member"),
    ("agent_zone", "代办区", "agent zone"),
    ("terminal", "网上服务终端", "online service terminal"),
    ("computer", "电脑", "computer"),
    ("scanner", "拍摄仪", "document camera"),
    ("id_reader", "身份证读卡器", "ID-card reader"),
    ("printer", "打印复印一体机", "printer-copier"),
    ("touch_screen", "触摸屏", "touch screen"),
    ("motorbike", "便民摩托车", "motorbike marked 便民"),
)
TOWNSHIP_ITEMS = (
    ("service_car", "服务车", "service car"),
    ("agents", "代办员队伍", "its agents"),
)
ITEM_NAMES = {key: (zh, en) for key, zh, en in VILLAGE_ITEMS + TOWNSHIP_ITEMS}


class RegisterEntry(Base):
    """One item of one village room or township; ``completed_on`` None is not done yet."""

    __tablename__ = "register_entries"
    __table_args__ = (UniqueConstraint("region_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship()
