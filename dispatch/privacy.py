"""Masking of personal data for roles that do not need to see it whole."""

from __future__ import annotations

from dispatch.models.users import Role

# Who sees a resident ID number whole: staff who take the application, and admins.
ID_UNMASKED = {Role.ADMIN, Role.VILLAGE_STAFF}
# Who sees a phone whole: those who call the villager.
PHONE_UNMASKED = {Role.ADMIN, Role.VILLAGE_STAFF, Role.DISPATCHER, Role.AGENT}


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last four: 4452**********1234."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the carrier prefix and the last four: 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def id_number_for(role: str, value: str) -> str:
    return value if role in ID_UNMASKED else mask_id_number(value)


def phone_for(role: str, value: str) -> str:
    return value if role in PHONE_UNMASKED else mask_phone(value)
