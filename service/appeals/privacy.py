"""Who sees a citizen's personal data, and how much (个人信息保护法).

Centre roles that call citizens back see the contact unmasked, and every such view is logged.
Units and leaders see a masked phone and the surname only, by default; for a confidential appeal
(保密件) units and leaders see no identity at all. The staff of the appeal's lead unit contact the
citizen first (the response rate rests on it): they may see the name, phone and e-mail unmasked
when they give a reason, logged as the centre's views are (`may_reveal`); co-units and leaders may
not, nor anyone on a confidential appeal but the centre. The same holds for personal data the
citizen wrote into the appeal's title, content and address (`free_text`, service/appeals/redact.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.appeals import redact
from service.appeals.models import Appeal, AppealContact, PersonalDataAccess
from service.appeals.redact import mask_name, mask_phone
from service.auth.models import User

UNMASKED_ROLES = frozenset({"operator", "dispatcher", "reviewer", "admin"})


def sees_unmasked(user: User) -> bool:
    return user.role in UNMASKED_ROLES


def has_personal_data(appeal: Appeal) -> bool:
    """The appeal still holds its citizen's contact (none given, or erased after retention: no)."""
    return appeal.contact is not None and appeal.personal_data_erased_at is None


def is_lead_unit_staff(user: User, appeal: Appeal) -> bool:
    """`user` works for the unit the appeal is with now as its lead (主办), not an ended part."""
    return (
        user.role == "unit_staff"
        and user.unit_code is not None
        and any(a.active and a.role == "lead" and a.unit_code == user.unit_code for a in appeal.assignments)
    )


def reads_unit_reply(user: User, appeal: Appeal) -> bool:
    """May `user` read a reply the centre sent back to the unit to correct (答复退回重办)? The centre,
    and the lead unit that corrects it; not co-units nor leaders (they read the reply once released)."""
    return user.role in CENTRE_ROLES or is_lead_unit_staff(user, appeal)


def may_reveal(user: User, appeal: Appeal) -> bool:
    """May `user` see the citizen's contact unmasked (with a reason, logged by `log_access`)? The
    centre, and the lead unit's staff to contact the citizen, unless the appeal is confidential
    (the centre contacts its citizen); nobody once there is nothing to show (none given, or erased)."""
    if not has_personal_data(appeal):
        return False
    return sees_unmasked(user) or (is_lead_unit_staff(user, appeal) and not appeal.confidential)


def free_text(text: str, appeal: Appeal, user: User, masked: bool) -> str:
    """The appeal's own words (title, content, address) as `user` may read them: personal data the citizen
    wrote there is shown as the contact is (masked unless shown unmasked), and left out entirely
    for units and leaders on a confidential appeal. After the retention erasure it is gone anyway.
    The lead unit reads it unmasked only along with the contact (`may_reveal`), and then without
    ID numbers, as `contact_view` shows it the contact without the identity document."""
    if not sees_unmasked(user) and (masked or not may_reveal(user, appeal)):
        return restricted(text, appeal)
    if masked and appeal.personal_data_erased_at is None:
        return redact.mask(text, _names(appeal))
    if not sees_unmasked(user):
        return redact.mask_id_numbers(text)
    return text


def restricted(text: str, appeal: Appeal) -> str:
    """`text` about `appeal` as units and leaders read it: the citizen's personal data masked, or
    removed on a confidential appeal (and already gone after the retention erasure)."""
    if appeal.personal_data_erased_at is not None:  # service/appeals/retention.py removed it
        return text
    names = _names(appeal)
    return redact.remove(text, names) if appeal.confidential else redact.mask(text, names)


def restricted_text(appeal: Appeal) -> str:
    """Title, content and address as units and leaders read them, for `Appeal.restricted_text`:
    their free-text search runs over it, not over the citizen's words, so that searching for a
    phone number or a name cannot tell them whose appeal it is when the page would not. Computed
    when the appeal is registered and again when its personal data is erased (nothing else changes
    title, content, address, contact name or the confidential flag)."""
    return restricted("\n".join(filter(None, (appeal.title, appeal.content, appeal.address))), appeal)


def without_citizen_data(text: str, appeal: Appeal) -> str:
    """`text` a unit wrote about `appeal` (its reply, sent back to correct) with the citizen's
    personal data as a unit sees it by default: their phone, e-mail and ID numbers (from the contact
    and from what they wrote in the appeal) masked and their name as its surname, or all removed on
    a confidential appeal (保密件). The unit's own telephone and anything else stays as written.
    What the form to correct it starts with: the reply goes to the citizen and, when they agreed
    (同意公开), to the public, and a unit's staff see the contact unmasked only by asking (logged)."""
    if appeal.personal_data_erased_at is not None:  # service/appeals/retention.py removed it
        return text
    contact = appeal.contact
    known = [appeal.title, appeal.content, appeal.address or ""]
    if contact is not None:
        known += [contact.phone, contact.email or "", contact.id_number or ""]
    return redact.hide_known(text, known, _names(appeal), removed=appeal.confidential)


#: Event payload entries that tell what kind of contact the citizen gave (the receipt's decision:
#: a mobile, an e-mail, only a landline, none): for the roles that see the contact.
CONTACT_PAYLOAD_KEYS = frozenset({"receipt"})
#: Event payload entries the centre keeps for itself (the reviewer's 内部备注): for the centre's
#: roles only, whoever else may see the contact.
CENTRE_PAYLOAD_KEYS = frozenset({"centre_note"})
CENTRE_ROLES = frozenset({"operator", "dispatcher", "reviewer", "admin"})


def event_payload(payload: dict[str, Any] | None, user: User) -> dict[str, Any] | None:
    """An event's payload as `user` may read it: units and leaders without what it says of the
    citizen's contact (on a confidential appeal they must not learn even that), nor the centre's
    internal notes."""
    hidden = (frozenset() if sees_unmasked(user) else CONTACT_PAYLOAD_KEYS) | (
        frozenset() if user.role in CENTRE_ROLES else CENTRE_PAYLOAD_KEYS
    )
    if not payload or not hidden:
        return payload
    return {key: value for key, value in payload.items() if key not in hidden}


def _names(appeal: Appeal) -> list[str]:
    return [appeal.contact.name] if appeal.contact is not None else []


def contact_view(
    contact: AppealContact | None, appeal: Appeal, user: User, masked: bool
) -> dict[str, Any] | None:
    if contact is None:
        return None
    if not sees_unmasked(user) and appeal.confidential:
        return None
    if appeal.personal_data_erased_at is not None:  # service/appeals/retention.py
        return {"name": "", "phone": "", "id_number": None, "email": None, "masked": False, "erased": True}
    if masked or not may_reveal(user, appeal):
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
        # The lead unit needs a way to reach the citizen, not their identity document.
        "id_number": contact.id_number if sees_unmasked(user) else None,
        "email": contact.email,
        "masked": False,
    }


def log_access(s: Session, user: User, appeal: Appeal, action: str, reason: str) -> None:
    """Record a view or export of unmasked personal data."""
    s.add(PersonalDataAccess(user_id=user.id, appeal_id=appeal.id, action=action, reason=reason[:200]))
