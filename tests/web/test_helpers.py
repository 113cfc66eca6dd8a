"""Template helpers: form errors next to fields, status badges, masking, local time, languages."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string
from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from dispatch.figures import EXCLUSION_REASONS
from service import validate
from service.appeals.status import CITIZEN_STATUS_LABELS, STATUS_LABELS
from service.auth.models import ROLES
from service.figures.queries import GROUPS, RATE_LABELS
from service.figures.volumes import DISPOSITIONS
from service.handling.duplicates import FLAG_STATES
from service.handling.workflow import TRANSITIONS
from service.i18n import SOURCE_DIR
from service.notices.models import DELIVERY_STATUSES
from service.notices.senders import SmsGatewaySender, WebhookSender
from service.notices.smtp import SmtpSender
from service.web.helpers import errors_of, form_to_dict
from service.web.labels import (
    CITIZEN_STATUS_MSGIDS,
    DISPOSITION_MSGIDS,
    EXCLUSION_MSGIDS,
    FLAG_STATE_MSGIDS,
    GROUP_MSGIDS,
    NOTICE_CHANNEL_LABELS,
    NOTICE_STATUS_LABELS,
    RATE_MSGIDS,
    ROLE_MSGIDS,
    STATUS_MSGIDS,
    TRANSITION_MSGIDS,
)

#: Besides the pages (service/web), what says the pages' texts: the record's texts, which the JSON API
#: says too, and the words of the figures' workbook (as the extract command in service/web/README.md
#: lists them).
ALSO_EXTRACTED = (
    SOURCE_DIR.parents[1] / "appeals" / "recorded.py",
    SOURCE_DIR.parents[1] / "figures" / "export.py",
    SOURCE_DIR.parents[1] / "figures" / "volumes_sheet.py",
)


class ContactIn(Schema):
    phone = fields.String(required=True)


class AppealIn(Schema):
    title = fields.String(required=True)
    count = fields.Integer()
    contact = fields.Nested(ContactIn, required=True)


def render(app, source: str, lang: str = "zh", **context) -> str:
    with app.test_request_context(f"/portal?lang={lang}"):
        return render_template_string(source, **context)


def test_a_schema_error_shows_next_to_its_field(app):
    form = MultiDict({"title": "  ", "count": "x", "contact.name": "王", "csrf_token": "t"})
    try:
        AppealIn().load(form_to_dict(form))
    except ValidationError as exc:
        with app.test_request_context("/portal"):
            errors = errors_of(exc)

    assert errors == {
        "title": ["此项为必填项。"],
        "count": ["请输入整数。"],
        "contact.phone": ["此项为必填项。"],
        "contact.name": ["未知的字段“contact.name”：本表单没有这一项。"],
    }
    html = render(
        app,
        '{% from "macros.html" import field %}{{ field("contact.phone", "电话", errors, value="138") }}',
        errors=errors,
    )
    assert '<label for="f-contact-phone">电话' in html
    assert 'name="contact.phone"' in html and 'aria-describedby="f-contact-phone-error"' in html
    assert '<p class="field-error" id="f-contact-phone-error">此项为必填项。</p>' in html


class ActionIn(Schema):
    days = fields.Integer(validate=validate.Range(min=1, max=30))
    kind = fields.String(validate=validate.OneOf(["press", "raise"]))
    role = fields.String(validate=validate.OneOf(["operator", "leader"], labels=["话务员", "领导"]))
    urgency = fields.String(validate=validate.OneOf(["一般", "紧急"]))
    note = fields.String(validate=validate.Length(max=5))
    email = fields.Email()


def test_a_validators_message_reads_in_the_page_language(app):
    form = MultiDict(
        {
            "days": "31",
            "kind": "pull",
            "role": "boss",
            "urgency": "急",
            "note": "请尽快办理此事",
            "email": "wang@",
        }
    )
    try:
        ActionIn().load(form_to_dict(form))
    except ValidationError as exc:
        refused = exc

    with app.test_request_context("/centre?lang=zh"):
        assert errors_of(refused) == {
            "days": ["须在 1 到 30 之间。"],
            "kind": ["请从列表中选择。"],  # codes the reader never saw
            "role": ["请选择以下之一：话务员、领导。"],  # by their words
            "urgency": ["请选择以下之一：一般、紧急。"],  # words themselves
            "note": ["长度不能超过 5。"],
            "email": ["电子邮件地址格式不正确。"],
        }
    with app.test_request_context("/centre?lang=en"):
        assert errors_of(refused) == {
            "days": ["Must be greater than or equal to 1 and less than or equal to 30."],
            "kind": ["Choose one from the list."],
            "role": ["Choose one of: Operator, Leader."],
            "urgency": ["Choose one of: Ordinary, Urgent."],
            "note": ["Longer than maximum length 5."],
            "email": ["Not a valid e-mail address."],
        }


def test_status_badges_and_roles_read_in_the_page_language(app):
    source = '{% from "macros.html" import status_badge %}{{ status_badge("reply_review") }} {{ "unit_staff"|role_label }}'

    assert "答复审核中" in render(app, source) and "承办单位人员" in render(app, source)
    english = render(app, source, lang="en")
    assert "Reply under review" in english and "Unit staff" in english


def test_every_status_role_flag_state_notice_and_figures_label_is_marked_for_translation():
    assert set(STATUS_MSGIDS) == set(STATUS_LABELS.values())
    assert set(CITIZEN_STATUS_MSGIDS) == set(CITIZEN_STATUS_LABELS.values()) - set(STATUS_MSGIDS)
    assert set(NOTICE_STATUS_LABELS) == set(DELIVERY_STATUSES)
    assert set(NOTICE_CHANNEL_LABELS) == {s.channel for s in (SmsGatewaySender, SmtpSender, WebhookSender)}
    assert set(ROLE_MSGIDS) == set(ROLES.values())
    assert set(TRANSITION_MSGIDS) == {transition.label for transition in TRANSITIONS.values()}
    assert set(FLAG_STATE_MSGIDS) == set(FLAG_STATES.values())
    assert set(RATE_MSGIDS) == set(RATE_LABELS.values())
    assert set(GROUP_MSGIDS) == {label for _kind, label in GROUPS}
    assert set(EXCLUSION_MSGIDS) == set(EXCLUSION_REASONS.values())
    assert set(DISPOSITION_MSGIDS) == set(DISPOSITIONS.values())
    catalogue = (SOURCE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    marked = (
        *STATUS_MSGIDS,
        *CITIZEN_STATUS_MSGIDS,
        *ROLE_MSGIDS,
        *FLAG_STATE_MSGIDS,
        *RATE_MSGIDS,
        *GROUP_MSGIDS,
        *EXCLUSION_MSGIDS,
        *DISPOSITION_MSGIDS,
        *NOTICE_CHANNEL_LABELS.values(),
        *NOTICE_STATUS_LABELS.values(),
    )
    for msgid in marked:
        assert f'msgid "{msgid}"\nmsgstr ""' not in catalogue and f'msgid "{msgid}"' in catalogue


def test_contacts_are_shown_as_the_privacy_view_gives_them(app):
    source = '{% from "macros.html" import masked_contact %}{{ masked_contact(c) }} {{ "13812345678"|masked_phone }}'

    masked = render(app, source, c={"name": "王*", "phone": "138****5678", "masked": True})
    assert "王*" in masked and "138****5678" in masked and "已脱敏" in masked
    assert "13812345678" not in masked
    assert "保密件" in render(app, source, c=None)


def test_times_are_shown_in_the_service_time_zone(app):
    source = '{% from "macros.html" import local_time %}{{ local_time(t) }}'

    html = render(app, source, t=datetime(2026, 11, 21, 16, 30, tzinfo=UTC))

    assert '<time datetime="2026-11-21T16:30:00+00:00">2026-11-22 00:30</time>' in html


def test_pagination_links_keep_the_list_arguments(app):
    source = '{% from "macros.html" import pagination %}{{ pagination(2, 20, 45, "web.centre", {"tab": "overdue"}) }}'

    html = render(app, source)

    assert 'href="/centre?page=1&amp;tab=overdue"' in html and 'href="/centre?page=3&amp;tab=overdue"' in html
    assert "第 2 / 3 页" in html
    assert render(app, source.replace("45", "20")).strip() == ""


def test_the_language_follows_the_toggle_then_accept_language(client):
    assert '<html lang="zh-CN">' in client.get("/portal").get_data(as_text=True)
    english = client.get("/portal", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "<h1>Citizens' appeals</h1>" in english

    r = client.get("/lang/en?next=/login")
    assert r.location == "/login" and "lang=en" in r.headers["Set-Cookie"]
    assert "Staff log-in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh?next=/login")
    assert "工作人员登录" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_every_text_the_pages_mark_has_its_english_translation_and_no_other_is_kept():
    """What `pybabel extract` finds (service/web/README.md) against the English catalogue: a text
    missing there reads Chinese on the English pages; one kept there but no longer used is dead."""
    with (SOURCE_DIR.parent / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_pgettext": ((1, "c"), 2)}
    found = [
        (message, context)
        for _file, _line, message, _comments, context in extract_from_dir(
            SOURCE_DIR.parent, method_map, options_map, keywords=keywords
        )
    ]
    for path in ALSO_EXTRACTED:
        found += [(m, c) for _line, m, _comments, c in extract_from_file("python", path, keywords=keywords)]
    marked = {(context, message if isinstance(message, str) else message[0]) for message, context in found}
    with (SOURCE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = {
            (m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(f) if m.id
        }

    assert len(marked) > 400  # the extraction ran over the templates and the code
    assert ("event", "签收") in marked  # and read the contexts (msgctxt) of the timeline's events
    assert sorted(m for m in marked if not catalogue.get(m)) == []
    assert sorted(set(catalogue) - marked) == []


def test_catalogues_are_compiled_when_missing_or_stale(tmp_path):
    from service.i18n import compile_catalogues

    written = compile_catalogues(SOURCE_DIR, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "en/LC_MESSAGES/messages.mo",
        "zh/LC_MESSAGES/errors.mo",
    ]
    assert compile_catalogues(SOURCE_DIR, tmp_path) == []


def test_a_field_of_one_of_several_forms_names_its_form_and_keeps_every_choice(app):
    source = (
        '{% from "appeal/_field.html" import afield %}'
        '{{ afield("dispatch", "co_units", "协办单位", {"co_units": ["选错了"]}, ["a", "c"], "select",'
        ' options=[("a", "甲"), ("b", "乙"), ("c", "丙")], attrs={"multiple": true}) }}'
    )

    html = render(app, source)

    assert 'id="f-dispatch-co_units"' in html and 'aria-describedby="f-dispatch-co_units-error"' in html
    assert '<p class="field-error" id="f-dispatch-co_units-error">选错了</p>' in html
    assert '<option value="a" selected>' in html and '<option value="c" selected>' in html
    assert '<option value="b">' in html
