"""Villagers who apply for services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from dispatch.crypto import id_number_index
from dispatch.models.base import Base, utcnow
from dispatch.models.regions import Region
from dispatch.models.types import Encrypted, EncryptedFloat


class Applicant(Base):
    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # Sealed at rest (dispatch.crypto); masked on the way out for roles that don't need them
    # whole (dispatch.privacy).
    phone: Mapped[str] = mapped_column(Encrypted("applicants.phone"))
    id_number: Mapped[str] = mapped_column(Encrypted("applicants.id_number"))
    # The blind index of the ID number: how it is found and kept unique without being read.
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    address: Mapped[str] = mapped_column(Encrypted("applicants.address"), default="")
    lon: Mapped[float] = mapped_column(EncryptedFloat("applicants.lon"))
    lat: Mapped[float] = mapped_column(EncryptedFloat("applicants.lat"))
    vulnerable: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    village: Mapped[Region] = relationship()

    @validates("id_number")
    def _index_id_number(self, key: str, value: str) -> str:
        value = value.strip().upper()
        self.id_number_index = id_number_index(value)
        return value
