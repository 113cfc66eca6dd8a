"""Personal data kept only as long as needed: a closed appeal's citizen data is erased once the
retention period (MINYI_PERSONAL_DATA_RETENTION_DAYS) is over; the record itself stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from service.appeals import retention
from service.appeals.models import Appeal, AppealContact, AppealEvent, PersonalDataAccess
from service.appeals.retention import erase_expired, erase_expired_job
from service.db import utcnow
from service.handling.models import Evaluation, Reply
from service.notices import models as nm
from tests.service.closing_arrange import SATISFIED, UNSATISFIED, appeal_row, look_up, ok, rate, replied
from tests.service.factories import stored

DAYS = 1095
PHONE = "13800001234"
HOTLINE_META = {"call_id": "CALL-2023-77", "caller_number": PHONE, "seat": "07"}


def closed_appeal(client: Any, as_user: Any, closed_days_ago: float, **overrides: Any) -> dict[str, Any]:
    """A hotline appeal replied, rated and closed, its closing moved `closed_days_ago` back."""
    body = replied(as_user, channel="hotline", channel_meta=HOTLINE_META, **overrides)
    ok(rate(client, body, SATISFIED))
    set_closed_at(client.application, body["number"], closed_days_ago)
    return body


def set_closed_at(app: Any, number: str, days_ago: float) -> None:
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert appeal is not None and appeal.status == "closed", appeal
        appeal.closed_at = utcnow() - timedelta(days=days_ago)
        s.commit()


def citizen_notice(app: Any, number: str) -> int:
    """A notice that went to the citizen's phone about the appeal; its id."""
    with stored(app) as s:
        appeal_id = s.scalar(sa.select(Appeal.id).where(Appeal.number == number))
        outbox = nm.OutboxMessage(
            kind="notice",
            appeal_id=appeal_id,
            recipient="citizen",
            template="reply_released",
            data={},
            dedup_key=f"retention-{number}",
        )
        s.add(outbox)
        s.flush()
        delivery = nm.NoticeDelivery(
            outbox_id=outbox.id,
            appeal_id=appeal_id,
            template="reply_released",
            recipient="citizen",
            recipient_name="市民",
            channel="sms",
            destination=PHONE,
            body="您的诉求已答复",
            status=nm.SENT,
        )
        s.add(delivery)
        s.commit()
        return delivery.id


def erase(app: Any, days: int = DAYS) -> list[int]:
    with stored(app) as s:
        done = erase_expired(s, utcnow(), days)
        s.commit()
        return done


def stored_data(app: Any, number: str) -> dict[str, Any]:
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        contact = s.scalar(sa.select(AppealContact).where(AppealContact.appeal_id == appeal.id))
        return {
            "contact": (contact.name, contact.phone, contact.id_number, contact.email),
            "channel_meta": appeal.channel_meta,
            "title": appeal.title,
            "content": appeal.content,
            "status": appeal.status,
            "erased_at": appeal.personal_data_erased_at,
            "ratings": s.scalar(sa.select(sa.func.count()).where(Evaluation.appeal_id == appeal.id)),
        }


def test_a_closed_appeal_past_retention_loses_its_citizens_data_and_keeps_its_record(app, client, as_user):
    body = closed_appeal(client, as_user, closed_days_ago=DAYS + 1)
    notice = citizen_notice(app, body["number"])
    before = stored_data(app, body["number"])
    assert before["contact"][1] == PHONE

    assert erase(app) == [appeal_row(app, body["number"])["id"]]

    after = stored_data(app, body["number"])
    assert after["contact"] == ("", "", None, None)
    assert after["channel_meta"] == {"call_id": "CALL-2023-77", "seat": "07"}  # the call id stays
    assert (after["title"], after["content"], after["status"]) == (
        before["title"],
        before["content"],
        "closed",
    )
    assert after["ratings"] == 1 and after["erased_at"] is not None
    with stored(app) as s:
        assert s.get(nm.NoticeDelivery, notice).destination == ""


def test_the_centre_reads_that_the_data_was_erased_and_nothing_is_logged_as_seen(app, client, as_user):
    body = closed_appeal(client, as_user, closed_days_ago=DAYS + 30)
    erase(app)
    dispatcher = as_user("dispatcher")

    record = dispatcher.get(f"/api/v1/appeals/{body['number']}", query_string={"reason": "回访核实"}).json
    timeline = dispatcher.get(f"/api/v1/appeals/{body['number']}/events").json

    assert record["contact"]["erased"] is True and record["contact"]["phone"] == ""
    assert record["channel_meta"] == {"call_id": "CALL-2023-77", "seat": "07"}
    assert [e["action"] for e in timeline][-1] == "personal_data_erased"
    assert timeline[-1]["actor"] is None
    with stored(app) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PersonalDataAccess)) == 0
    citizen_view = look_up(client, body)  # the citizen still tracks it; the erasure is not on their timeline
    assert citizen_view["status"] == "closed"
    assert "personal_data_erased" not in str(citizen_view)


def test_within_retention_and_still_open_appeals_keep_their_data(app, client, as_user):
    recent = closed_appeal(client, as_user, closed_days_ago=DAYS - 1)
    still_open = replied(as_user, channel="hotline", channel_meta=HOTLINE_META)

    assert erase(app) == []

    assert stored_data(app, recent["number"])["contact"][1] == PHONE
    assert stored_data(app, still_open["number"])["contact"][1] == PHONE


def test_a_merged_appeal_goes_with_its_master(app, client, as_user):
    master = replied(as_user, channel="hotline", channel_meta=HOTLINE_META)
    repeat = replied(as_user, channel="hotline", channel_meta=HOTLINE_META)
    # merged while still open: the repeat follows the master from then on
    merged = as_user("dispatcher").post(
        f"/api/v1/appeals/{repeat['number']}/merge", json={"master": master["number"], "reason": "同一问题"}
    )
    assert merged.status_code == 200, merged.json
    ok(rate(client, master, SATISFIED))
    set_closed_at(app, master["number"], DAYS + 1)

    erase(app)

    assert stored_data(app, repeat["number"])["contact"] == ("", "", None, None)
    assert stored_data(app, master["number"])["contact"] == ("", "", None, None)


def test_an_appeal_reopened_after_the_batch_was_chosen_keeps_its_data(app, client, as_user, monkeypatch):
    body = closed_appeal(client, as_user, closed_days_ago=DAYS + 1)
    choose = retention.due_for_erasure

    def reopened_meanwhile(s, cutoff, limit=retention.BATCH):
        chosen = choose(s, cutoff, limit)
        # what a 重办 committed by the centre between the choice and the erasure leaves in the row
        s.execute(
            sa.update(Appeal)
            .where(Appeal.number == body["number"])
            .values(status="handling", closed_at=None, version=Appeal.version + 1)
        )
        return chosen

    monkeypatch.setattr(retention, "due_for_erasure", reopened_meanwhile)

    assert erase(app) == []

    after = stored_data(app, body["number"])
    assert after["contact"][1] == PHONE and after["erased_at"] is None


def test_an_erased_appeal_is_not_reopened_to_a_unit_that_cannot_reach_the_citizen(app, client, as_user):
    body = replied(as_user, channel="hotline", channel_meta=HOTLINE_META)
    ok(rate(client, body, UNSATISFIED))
    ok(as_user("reviewer").post(f"/api/v1/appeals/{body['number']}/close", json={"note": "已解释政策"}))
    set_closed_at(app, body["number"], DAYS + 1)
    erase(app)

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{body['number']}/reopen",
        json={"reason": "复查发现未整改", "attributable": True},
    )

    assert r.status_code == 409 and r.json["error"] == "conflict", r.json
    assert "personal data was erased" in r.json["message"] and "new appeal" in r.json["message"]
    assert r.json["current"]["status"] == "closed" == stored_data(app, body["number"])["status"]


def test_running_again_erases_nothing_more(app, client, as_user):
    body = closed_appeal(client, as_user, closed_days_ago=DAYS + 1)

    first, second = erase(app), erase(app)

    assert len(first) == 1 and second == []
    timeline = as_user("dispatcher").get(f"/api/v1/appeals/{body['number']}/events").json
    assert [e["action"] for e in timeline].count("personal_data_erased") == 1


def test_zero_days_keeps_everything(app, client, as_user):
    body = closed_appeal(client, as_user, closed_days_ago=20 * 365)

    assert erase(app, days=0) == []
    assert stored_data(app, body["number"])["contact"][1] == PHONE


def test_the_command_counts_then_erases(app, client, as_user, command_line):
    body = closed_appeal(client, as_user, closed_days_ago=DAYS + 1)

    dry = command_line("appeals", "erase-personal-data", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 appeal(s) closed before" in dry.output
    assert stored_data(app, body["number"])["contact"][1] == PHONE

    real = command_line("appeals", "erase-personal-data")
    assert real.exit_code == 0, real.output
    assert "erased the personal data of 1 appeal(s)" in real.output
    assert stored_data(app, body["number"])["contact"][1] == ""


def test_the_workers_job_erases_after_the_configured_days(app, client, as_user):
    body = closed_appeal(client, as_user, closed_days_ago=40)

    app.config["PERSONAL_DATA_RETENTION_DAYS"] = 0
    with app.app_context():
        kept = erase_expired_job()
    app.config["PERSONAL_DATA_RETENTION_DAYS"] = 30
    with app.app_context():
        erased, again = erase_expired_job(), erase_expired_job()

    assert (kept, erased, again) == ({"erased": 0}, {"erased": 1}, {"erased": 0})
    assert stored_data(app, body["number"])["contact"][1] == ""


def test_one_run_of_the_job_goes_on_batch_after_batch(app, client, as_user, monkeypatch):
    numbers = [closed_appeal(client, as_user, closed_days_ago=DAYS + 1)["number"] for _ in range(3)]
    monkeypatch.setattr(retention, "BATCH", 2)
    batches = []

    def counted(*args, **kwargs):
        done = erase_expired(*args, **kwargs)
        batches.append(len(done))
        return done

    monkeypatch.setattr(retention, "erase_expired", counted)
    app.config["PERSONAL_DATA_RETENTION_DAYS"] = DAYS

    with app.app_context():
        result = erase_expired_job()

    assert result == {"erased": 3} and batches == [2, 1, 0]  # transactions of their own, in one run
    assert [stored_data(app, n)["contact"][1] for n in numbers] == ["", "", ""]


def test_the_worker_runs_the_job_periodically(app):
    from service.runner import periodic_jobs

    assert erase_expired_job in [func for func, _queue, _seconds in periodic_jobs(app.config)]


def test_what_the_citizen_wrote_about_themselves_is_removed_from_the_text(app, client, as_user):
    body = replied(
        as_user,
        channel="hotline",
        title="王小明反映垃圾未清运",
        content="我叫王小明，电话 138 0000 1234，邮箱 wxm@example.com。光明路12号的垃圾三天没清运。",
        contact={"name": "王小明", "phone": PHONE},
    )
    ok(rate(client, body, {**SATISFIED, "comment": "有事打我13800001234"}))
    set_closed_at(app, body["number"], DAYS + 1)
    with stored(app) as s:
        reply = s.scalar(sa.select(Reply).join(Appeal).where(Appeal.number == body["number"]))
        reply.citizen_text = "王小明同志：垃圾已清运完毕。"
        s.commit()

    erase(app)

    after = stored_data(app, body["number"])
    assert after["title"] == "***反映垃圾未清运"
    assert after["content"] == "我叫***，电话 ***，邮箱 ***。光明路12号的垃圾三天没清运。"
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == body["number"]))
        assert (
            s.scalar(sa.select(Reply.citizen_text).where(Reply.appeal_id == appeal.id))
            == "***同志：垃圾已清运完毕。"
        )
        assert (
            s.scalar(sa.select(Evaluation.comment).where(Evaluation.appeal_id == appeal.id)) == "有事打我***"
        )
        rated = s.scalar(
            sa.select(AppealEvent.note).where(
                AppealEvent.appeal_id == appeal.id, AppealEvent.action == "evaluated"
            )
        )
        assert rated == "有事打我***"  # the timeline's copy of the comment too
        erased = s.scalar(
            sa.select(AppealEvent.payload).where(
                AppealEvent.appeal_id == appeal.id, AppealEvent.action == "personal_data_erased"
            )
        )
    assert {"title", "content", "replies.citizen_text", "evaluations.comment", "appeal_events.note"} <= set(
        erased["erased"]
    )
    assert look_up(client, body)["title"] == "***反映垃圾未清运"  # the citizen's own view too


def test_after_the_erasure_a_unit_finds_the_appeal_by_its_matter_not_by_the_citizen(app, client, as_user):
    body = closed_appeal(
        client,
        as_user,
        closed_days_ago=DAYS + 1,
        content="我叫王小明，电话13800001234。光明路12号的垃圾三天没清运。",
        contact={"name": "王小明", "phone": PHONE},
    )
    unit = as_user("cgj")  # the unit it was replied by (closing_arrange.replied)

    def found(q: str) -> bool:
        items = unit.get("/api/v1/appeals", query_string={"q": q}).json["items"]
        return body["number"] in [item["number"] for item in items]

    assert found("138****1234") and found("王**")  # as the unit reads it before the erasure
    erase(app)

    assert not found("138****1234") and not found("王**") and not found(PHONE)
    assert found("光明路12号的垃圾三天没清运")
