"""Who sees a citizen's personal data, and how much (个人信息保护法).

Centre roles that call citizens back see the contact unmasked, and every such view is logged.
Units and leaders see a masked phone and the surname only; for a confidential appeal (保密件)
units and leaders see no identity at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.appeals.models import Appeal, AppealContact, PersonalDataAccess
from service.auth.models import User

UNMASKED_ROLES = frozenset({"operator", "dispatcher", "reviewer", "admin"})


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(phone) > 6:
        return phone[: len(phone) - 6] + "****" + phone[-2:]
    return "****"


def mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def sees_unmasked(user: User) -> bool:
    return user.role in UNMASKED_ROLES


def has_personal_data(appeal: Appeal) -> bool:
    """The appeal still holds its citizen's contact (none given, or erased after retention: no)."""
    return appeal.contact is not None and appeal.personal_data_erased_at is None


def contact_view(
    contact: AppealContact | None, appeal: Appeal, user: User, masked: bool
) -> dict[str, Any] | None:
    if contact is None:
        return None
    if not sees_unmasked(user) and appeal.confidential:
        return None
    if appeal.personal_data_erased_at is not None:  # service/appeals/retention.py
        return {"name": "", "phone": "", "id_number": None, "email": None, "masked": False, "erased": True}
    if masked or not sees_unmasked(user):
        return {
            "name": mask_name(contact.name),
            "phone": mask_phone(contact.phone) if contact.phone else "",
            "id_number": None,
            "email": None,
            "masked": True,
        }
    return {
        "name": contact.name,
        "phone": contact.phone,
        "id_number": contact.id_number,
        "email": contact.email,
        "masked": False,
    }


def log_access(s: Session, user: User, appeal: Appeal, action: str, reason: str) -> None:
    """Record a view or export of unmasked personal data."""
    s.add(PersonalDataAccess(user_id=user.id, appeal_id=appeal.id, action=action, reason=reason[:200]))
