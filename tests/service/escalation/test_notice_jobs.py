"""Notices leave through the outbox: relayed with ids only, sent once, retried when the peer fails
for a while, recorded and visible when it fails for good."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from rq import Queue

from dispatch.calendar import WorkCalendar
from service.db import utcnow
from service.notices import jobs
from service.notices import models as m
from service.notices.models import NoticeDelivery, OutboxMessage
from service.notices.operations import expand
from service.redis_conn import get_redis
from service.web.helpers import deadline
from tests.service.factories import outbox_ids, stored
from tests.service.handling_steps import LEAD, garbage_in_meilin, new_appeal, ok, reply_body, signed_appeal
from tests.service.helpers import appeal_payload

SHANGHAI = ZoneInfo("Asia/Shanghai")


#: The urgent appeal's alerts to the units and the centre (not its citizen's receipt, also queued).
ALERTS = "urgent_appeal"


def deliveries(app, number=None):
    with stored(app) as s:
        query = sa.select(NoticeDelivery).order_by(NoticeDelivery.id)
        if number:
            ids = outbox_ids(app, number)
            query = query.where(NoticeDelivery.outbox_id.in_(ids))
        return [
            {
                "id": d.id,
                "recipient": d.recipient,
                "channel": d.channel,
                "destination": d.destination,
                "status": d.status,
                "attempts": d.attempts,
                "body": d.body,
                "not_before": d.not_before,
                "last_error": d.last_error,
            }
            for d in s.scalars(query)
        ]


def run_job(app, func, *args):
    with app.app_context():
        return func(*args)


def test_the_relay_hands_the_worker_ids_only_after_the_commit(sms_app, as_user):
    app = sms_app
    number = new_appeal(as_user, urgency="特急")
    ids = outbox_ids(app, number)
    assert len(ids) == 3  # the unit's and the centre's alerts, the citizen's receipt
    with app.app_context():
        queue = Queue("urgent", connection=get_redis())
        queued = [job for job in queue.get_jobs() if job.func_name == "service.notices.jobs.process_outbox"]
    mine = [job for job in queued if set(job.args[0]) & set(ids)]
    assert mine, "the urgent appeal's notices were handed to the urgent queue"
    assert all(isinstance(i, int) for job in mine for i in job.args[0])  # no names, no phone numbers


def test_an_urgent_notice_reaches_the_gateway_once_however_often_the_job_runs(sms_app, as_user, gateway):
    app = sms_app
    number = new_appeal(as_user, urgency="特急")
    ids = outbox_ids(app, number, ALERTS)
    result = run_job(app, jobs.process_outbox, ids)
    sent = deliveries(app, number)
    assert result["sent"] == len(sent) > 0
    assert {d["status"] for d in sent} == {m.SENT}
    assert {d["channel"] for d in sent} == {"sms"}  # the demo list's duty contacts have mobiles for SMS
    assert {d["recipient"] for d in sent} == {"unit:GXQ-CGJ", "centre"}
    messages = gateway.wait_for(len(sent))
    assert all(number in msg["body"]["text"] for msg in messages)
    assert all("13800001234" not in msg["raw"] for msg in messages)  # the citizen's number goes nowhere
    # Again, and the deliveries' own job again: nothing more is sent.
    run_job(app, jobs.process_outbox, ids)
    run_job(app, jobs.deliver_notices, [d["id"] for d in sent])
    assert len(gateway.requests) == len(sent)


def test_a_phone_number_in_the_title_does_not_reach_the_units_phone(sms_app, as_user, gateway):
    app = sms_app
    plain = new_appeal(as_user, urgency="特急", title="13800001234反映")
    hidden = new_appeal(as_user, urgency="特急", title="13800001234反映", confidential=True)

    run_job(app, jobs.process_outbox, outbox_ids(app, plain, ALERTS) + outbox_ids(app, hidden, ALERTS))

    texts = {msg["body"]["text"] for msg in gateway.wait_for(4)}
    assert any(plain in text and "（138****12…）" in text for text in texts)  # titles are cut to 10
    assert any(hidden in text and "***反映" in text for text in texts)
    assert not any("13800001234" in text for text in texts)


def test_a_transient_failure_is_retried_with_backoff_and_then_sent(sms_app, as_user, gateway):
    app = sms_app
    number = new_appeal(as_user, urgency="特急")
    gateway.fail_all(503)
    run_job(app, jobs.process_outbox, outbox_ids(app, number, ALERTS))
    first = deliveries(app, number)
    assert {d["status"] for d in first} == {m.RETRYING}
    assert all(d["attempts"] == 1 and "503" in d["last_error"] for d in first)
    assert all(d["not_before"] > utcnow() + timedelta(seconds=20) for d in first)
    # Not yet: the backoff has not passed.
    run_job(app, jobs.deliver_notices, [d["id"] for d in first])
    assert {d["attempts"] for d in deliveries(app, number)} == {1}
    gateway.fail_all(None)
    with stored(app) as s:  # the wait is over
        s.execute(sa.update(NoticeDelivery).values(not_before=utcnow() - timedelta(seconds=1)))
        s.commit()
    run_job(app, jobs.deliver_notices, [d["id"] for d in first])
    after = deliveries(app, number)
    assert {d["status"] for d in after} == {m.SENT}
    assert {d["attempts"] for d in after} == {2}
    assert len(gateway.messages) == len(after)


def test_a_permanent_failure_is_recorded_visible_and_can_be_retried(sms_app, as_user, gateway, monkeypatch):
    app = sms_app
    number = new_appeal(as_user, urgency="特急")
    gateway.fail_all(400)
    run_job(app, jobs.process_outbox, outbox_ids(app, number, ALERTS))
    failed = deliveries(app, number)
    assert {d["status"] for d in failed} == {m.FAILED}
    assert all(d["attempts"] == 1 and "400" in d["last_error"] for d in failed)

    admin = as_user("admin")
    r = admin.get("/api/v1/admin/notices?status=failed")
    assert r.status_code == 200, r.json
    listed = {item["id"]: item for item in r.json["items"]}
    target = failed[0]
    assert listed[target["id"]]["appeal_number"] == number
    assert listed[target["id"]]["destination"] != target["destination"]  # masked
    assert "****" in listed[target["id"]]["destination"]
    assert as_user("cgj").get("/api/v1/admin/notices").status_code == 403

    # The command line shows it too.
    @contextmanager
    def session():
        with stored(app) as s:
            yield s

    monkeypatch.setattr("service.cli_context.app_session", session)
    monkeypatch.setattr("service.notices.jobs.failed_rq_jobs", lambda limit=50: [])
    from service.notices.cli import jobs_group

    out = CliRunner().invoke(jobs_group, ["failed"])
    assert out.exit_code == 0, out.output
    assert f"{target['id']}" in out.output and "400" in out.output

    gateway.fail_all(None)
    r = admin.post(f"/api/v1/admin/notices/{target['id']}/retry")
    assert r.status_code == 200, r.json
    assert r.json["status"] == m.PENDING and r.json["attempts"] == 0
    again = admin.post(f"/api/v1/admin/notices/{target['id']}/retry")
    assert again.status_code == 409 and again.json["error"] == "conflict"
    assert admin.post("/api/v1/admin/notices/999999/retry").status_code == 404
    run_job(app, jobs.deliver_notices, [target["id"]])
    assert next(d for d in deliveries(app, number) if d["id"] == target["id"])["status"] == m.SENT


def test_the_appeal_page_lists_what_was_sent_about_it(sms_app, as_user, gateway):
    app = sms_app
    number = new_appeal(as_user, urgency="特急")
    run_job(app, jobs.process_outbox, outbox_ids(app, number, ALERTS))
    r = as_user("dispatcher").get(f"/api/v1/appeals/{number}/notices")
    assert r.status_code == 200, r.json
    items = r.json["items"]
    assert items and {i["status"] for i in items} == {m.SENT}
    assert all(i["template"] == "urgent_appeal" and i["sent_at"] for i in items)
    assert as_user("dispatcher").get("/api/v1/appeals/NOPE-1/notices").status_code == 404


def test_a_leader_reads_what_the_citizen_was_sent_without_the_query_code(sms_app, as_user):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    run_job(sms_app, jobs.process_outbox, outbox_ids(sms_app, number))
    code = as_user("dispatcher").get(f"/api/v1/appeals/{number}").json["query_code"]

    def released(role):
        r = as_user(role).get(f"/api/v1/appeals/{number}/notices")
        assert r.status_code == 200, r.json
        return next(i["body"] for i in r.json["items"] if i["template"] == "reply_released")

    assert code in released("dispatcher")  # the centre calls citizens back and may read it out
    assert code not in released("leader") and "查询码******" in released("leader")


def test_pressing_names_the_deadline_the_unit_faces_as_the_pages_do(sms_app, as_user):
    number = new_appeal(as_user)
    dispatcher = as_user("dispatcher")

    def pressed_text():
        ok(dispatcher, number, "supervise", kind="press", note="群众催问")
        run_job(sms_app, jobs.process_outbox, outbox_ids(sms_app, number))
        bodies = [d["body"] for d in deliveries(sms_app, number) if "催办：" in d["body"]]
        return bodies[-1]

    view = dispatcher.get(f"/api/v1/appeals/{number}").json
    with sms_app.test_request_context():
        sign_due = deadline(datetime.fromisoformat(view["sign_due_at"]))
        reply_due = deadline(datetime.fromisoformat(view["reply_due_at"]))
    assert reply_due.endswith(" 24:00")  # working days end at midnight: the 24:00 of the last day
    text = pressed_text()
    assert "签收时限" in text and _sms_date(sign_due) in text  # not signed yet: signing is due first
    ok(as_user(LEAD), number, "sign")
    text = pressed_text()
    assert "答复时限" in text and _sms_date(reply_due) in text


def _sms_date(page_text):
    day, clock = page_text.split(" ")
    _year, month, date = day.split("-")
    return f"{int(month)}月{int(date)}日 {clock}"


def _delivery_time(app, number, now):
    with stored(app) as s:
        message = s.get(OutboxMessage, outbox_ids(app, number, ALERTS)[0])
        message.priority = m.DEFAULT  # a routine notice
        made = expand(s, message, now=now, calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"})
        s.rollback()
        return {d.not_before for d in made}


def test_routine_notices_wait_for_working_hours_and_urgent_ones_do_not(app, as_user):
    number = new_appeal(as_user, urgency="特急")
    local = lambda *a: datetime(*a, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))  # noqa: E731
    # 03:00 on a Tuesday: 08:30 the same day.
    assert _delivery_time(app, number, local(2026, 11, 24, 3, 0)) == {local(2026, 11, 24, 8, 30)}
    # 国庆: Thursday 1 October 2026 at noon waits until Thursday the 8th (the 5th-7th are holidays too).
    assert _delivery_time(app, number, local(2026, 10, 1, 12, 0)) == {local(2026, 10, 8, 8, 30)}
    # 调休: Saturday 10 October 2026 is a working day.
    assert _delivery_time(app, number, local(2026, 10, 10, 10, 0)) == {local(2026, 10, 10, 10, 0)}
    with stored(app) as s:
        message = s.get(OutboxMessage, outbox_ids(app, number, ALERTS)[0])
        made = expand(
            s, message, now=local(2026, 10, 1, 3, 0), calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"}
        )
        assert {d.not_before for d in made} == {local(2026, 10, 1, 3, 0)}  # urgent: at any hour
        s.rollback()


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_the_citizens_receipt_goes_at_once_at_night_and_on_holidays(app, as_user):
    """受理回执 is a routine notice that does not wait for working hours: the citizen who has just
    called or written at night, or on a holiday, is waiting for the number and the query code."""
    number = new_appeal(as_user)  # 一般: nothing urgent about it
    local = lambda *a: datetime(*a, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))  # noqa: E731
    (receipt_id,) = outbox_ids(app, number, "appeal_registered")
    for now in (local(2026, 11, 24, 3, 0), local(2026, 10, 1, 12, 0)):  # a Tuesday at 03:00; 国庆
        with stored(app) as s:
            message = s.get(OutboxMessage, receipt_id)
            assert message.priority == m.DEFAULT
            made = expand(s, message, now=now, calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"})
            s.rollback()
            assert [(d.recipient, d.not_before) for d in made] == [("citizen", now)], now


def test_readyz_reports_the_queues_and_the_oldest_unrelayed_notice(app, as_user, client):
    body = client.get("/readyz").json
    assert set(body["queues"]) == {"urgent", "default", "low"}
    assert all(isinstance(n, int) for n in body["queues"].values())
    new_appeal(as_user, urgency="特急")
    age = client.get("/readyz").json["outbox"]["oldest_unrelayed_age_seconds"]
    assert age is not None and age >= 0


def test_a_letter_writer_is_sent_the_number_and_the_query_code_they_could_not_hear(sms_app, as_user):
    """受理回执: the citizen learns the number and the query code (on the phone the operator read
    them out; a letter or an e-mail gets no answer otherwise). Nothing else of the appeal."""
    r = as_user("operator").post(
        "/api/v1/appeals",
        json=appeal_payload(
            **garbage_in_meilin(),
            channel="letter",
            channel_meta={"sender_address": "赣县区梅林镇光明路12号"},
            contact={"name": "李四", "phone": "13912345678"},
        ),
    )
    assert r.status_code == 201, r.json
    number, code = r.json["number"], r.json["query_code"]

    run_job(sms_app, jobs.process_outbox, outbox_ids(sms_app, number, "appeal_registered"))

    (receipt,) = deliveries(sms_app, number)
    assert (receipt["recipient"], receipt["channel"], receipt["destination"]) == (
        "citizen",
        "sms",
        "13912345678",
    )
    assert number in receipt["body"] and code in receipt["body"] and "已受理" in receipt["body"]
    assert "垃圾" not in receipt["body"]  # not the title: whoever reads the phone learns nothing of it
    assert (
        as_user("leader").get(f"/api/v1/appeals/{number}/notices").json["items"][0]["body"].count(code) == 0
    )


def test_history_carried_over_from_an_older_system_sends_no_receipt(sms_app, as_user):
    """An appeal received long before it is registered is not a citizen waiting for a text; a
    letter registered the week it came still is."""
    now = utcnow()

    def registered(days_ago):
        payload = appeal_payload(
            **garbage_in_meilin(), received_at=(now - timedelta(days=days_ago)).isoformat()
        )
        r = as_user("operator").post("/api/v1/appeals", json=payload)
        assert r.status_code == 201, r.json
        return r.json["number"]

    assert outbox_ids(sms_app, registered(40), "appeal_registered") == []
    assert len(outbox_ids(sms_app, registered(3), "appeal_registered")) == 1
