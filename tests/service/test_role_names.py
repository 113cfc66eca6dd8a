"""A refusal for a wrong role names the roles as people read them, in the reader's language:
"This needs one of the roles: Dispatcher, Administrator." / "此操作需要以下角色之一：分拨员、系统管理员。",
never their codes (dispatcher, unit_staff) nor a list's brackets."""

from __future__ import annotations

import re

import pytest

from service.auth.models import ROLE_NAMES, ROLES
from service.i18n import localize, vocabulary_label
from tests.service.factories import assert_envelope
from tests.service.handling_steps import LEAD, new_appeal

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


def no_codes(message: str) -> None:
    assert not {"[", "]", "'"} & set(message), message
    for code in ROLES:
        assert not re.search(rf"\b{code}\b", message), message


@pytest.mark.parametrize("role", list(ROLES))
def test_a_role_in_a_message_reads_as_the_pages_say_it(app, role):
    """The English of a role in a message is the English pages' label, its Chinese the label."""
    name = ROLE_NAMES[role]
    with app.test_request_context("/"):
        assert str(name) == vocabulary_label(ROLES[role], "en")
        assert localize(name, "zh") == ROLES[role]


def test_unit_staff_calling_a_centre_endpoint_is_told_the_roles_by_name(as_user):
    number = new_appeal(as_user)
    unit = as_user(LEAD)  # unit_staff of the lead unit
    body = {"unit": "X", "reason": "改派"}

    r = unit.post(f"/api/v1/appeals/{number}/dispatch", json=body, headers=ZH)
    envelope = assert_envelope(r, 403, "forbidden")
    assert r.headers["Content-Language"] == "zh-CN"
    assert envelope["message"] == "此操作需要以下角色之一：分拨员、系统管理员。"
    no_codes(envelope["message"])

    r = unit.post(f"/api/v1/appeals/{number}/dispatch", json=body, headers=EN)
    envelope = assert_envelope(r, 403, "forbidden")
    assert envelope["message"] == "This needs one of the roles: Dispatcher, Administrator."
    no_codes(envelope["message"])

    # A program that asks for no language reads English, as from every other refusal.
    r = unit.post(f"/api/v1/appeals/{number}/dispatch", json=body)
    assert (
        assert_envelope(r, 403, "forbidden")["message"]
        == "This needs one of the roles: Dispatcher, Administrator."
    )


def test_a_refusal_to_one_role_names_it_in_both_languages(as_user):
    """The access log is the administrator's alone (`requires("admin")`)."""
    r = as_user("operator").get("/api/v1/admin/personal-data-access", headers=ZH)
    assert assert_envelope(r, 403, "forbidden")["message"] == "此操作需要以下角色之一：系统管理员。"
    r = as_user("operator").get("/api/v1/admin/personal-data-access", headers=EN)
    assert assert_envelope(r, 403, "forbidden")["message"] == "This needs one of the roles: Administrator."
