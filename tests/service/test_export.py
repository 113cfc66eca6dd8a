"""工单导出: a search's appeals as an Excel file, without personal data."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from openpyxl import load_workbook

from service.appeals import export
from tests.service.factories import assert_envelope, stored
from tests.service.handling_steps import new_appeal, stored_appeal

URL = "/api/v1/appeals/export"


def rows_of(r) -> list[list]:
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == export.XLSX
    assert r.headers["Content-Disposition"].startswith('attachment; filename="appeals-')
    ws = load_workbook(io.BytesIO(r.get_data())).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_the_search_is_exported_without_personal_data(as_user):
    number = new_appeal(as_user, title="导出测试：小区垃圾无人清运")

    rows = rows_of(as_user("dispatcher").get(URL, query_string={"q": "导出测试"}))

    header, *found = rows
    assert header[:6] == ["受理编号", "受理时间", "渠道", "诉求类型", "紧急程度", "标题"]
    assert [r[0] for r in found] == [number]
    row = found[0]
    assert row[5] == "导出测试：小区垃圾无人清运" and row[8] == "区城管局" and row[9] == "已派单"
    flat = " ".join(str(v) for r in rows for v in r if v is not None)
    assert "13800001234" not in flat and "138****1234" not in flat  # no contact, masked or not


def test_a_deadline_reads_as_on_the_pages_the_last_day_until_24_00(app, as_user):
    """A reply limit in working days ends at local midnight: the pages say "12-21 24:00", and so
    must the unit's spreadsheet, not "12-22 00:00", which reads as a day more."""
    number = new_appeal(as_user, title="导出时限测试")
    with stored(app) as s:
        due = stored_appeal(s, number).reply_due_at.astimezone(app.config["TZ"])
    assert due.time() == time(0)  # the end of the last working day
    last_day = (due - timedelta(days=1)).date()

    header, row = rows_of(as_user("cgj").get(URL, query_string={"q": "导出时限测试"}))

    assert row[header.index("答复时限")] == f"{last_day:%Y-%m-%d} 24:00"
    assert row[header.index("签收时限")] and not row[header.index("签收时限")].endswith(" 00:00")


def test_a_unit_exports_only_its_own_appeals(as_user):
    ours = new_appeal(as_user, title="导出范围测试")

    cgj = [r[0] for r in rows_of(as_user("cgj").get(URL, query_string={"q": "导出范围测试"}))[1:]]
    rsj = [r[0] for r in rows_of(as_user("rsj").get(URL, query_string={"q": "导出范围测试"}))[1:]]

    assert cgj == [ours] and rsj == []


def test_too_many_is_422_saying_how_many(as_user, monkeypatch):
    new_appeal(as_user, title="上限测试一")
    new_appeal(as_user, title="上限测试二")
    monkeypatch.setattr(export, "EXPORT_LIMIT", 1)

    r = as_user("dispatcher").get(URL, query_string={"q": "上限测试"})

    body = assert_envelope(r, 422, "validation_error")
    assert body["message"].startswith("2 appeals match; an export holds at most 1")


@pytest.mark.parametrize(
    ("args", "field"), [({"status": "lost"}, "status"), ({"received_from": "x"}, "received_from")]
)
def test_a_bad_filter_is_422_naming_it(as_user, args, field):
    r = as_user("dispatcher").get(URL, query_string=args)

    assert field in assert_envelope(r, 422, "validation_error")["errors"]


def test_anonymous_is_401(client):
    assert_envelope(client.get(URL), 401, "unauthorized")
