"""What a villager may see of a case after proving the reference and phone: no personal data."""

from __future__ import annotations

from typing import Any

from dispatch.models.session import DbSession
from dispatch.services.cases import date_basis, get_by_reference, holder_label


def lookup_case(session: DbSession, reference: str, phone: str) -> dict[str, Any]:
    """Status, custody chain with holder labels, current holder and dates; 404 on a mismatch."""
    case = get_by_reference(session, reference.strip().upper(), phone.strip())
    chain = [
        {
            "at": e.at,
            "receipt_no": e.receipt_no,
            "from_holder": holder_label(session, e.from_kind, e.from_id),
            "to_holder": holder_label(session, e.to_kind, e.to_id),
        }
        for e in case.custody
    ]
    return {
        "reference": case.reference,
        "item": case.item.name,
        "item_en": case.item.name_en or case.item.name,
        "status": case.status,
        "registered_at": case.registered_at,
        "due_date": case.due_date,
        "predicted_date": case.predicted_date,
        **date_basis(case),
        "holder": holder_label(session, case.holder_kind, case.holder_id),
        "missing_notice": case.missing_notice,
        "chain": chain,
    }
