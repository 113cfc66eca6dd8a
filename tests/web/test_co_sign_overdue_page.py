"""The appeal page tells of a co-unit's missed sign-for deadline in the page's language."""

from __future__ import annotations

from datetime import timedelta

from dispatch.escalation import CO_SIGN_OVERDUE
from service.escalation.sweeps import sweep
from tests.service.escalation.test_co_sign_overdue import overdue_appeal
from tests.service.factories import stored
from tests.service.handling_steps import CO

NOTE = "协办单位梅林镇人民政府签收超时，已提醒该单位和中心。"
ENGLISH = "Co-unit 梅林镇人民政府 did not sign for its part in time; the unit and the centre were reminded."


def test_the_co_unit_s_reminder_reads_in_the_page_s_language(app, as_user, logged_in):
    number, due = overdue_appeal(app, as_user)
    with stored(app) as s:
        assert len(sweep(s, CO_SIGN_OVERDUE, now=due + timedelta(minutes=1)).fired) == 1
        s.commit()

    centre = logged_in("dispatcher")
    chinese = centre.get(f"/centre/appeals/{number}").get_data(as_text=True)
    assert NOTE in chinese and "协办签收超时" in chinese
    english = centre.get(f"/centre/appeals/{number}?lang=en").get_data(as_text=True)
    assert ENGLISH in english and "Co-unit sign-for overdue" in english
    assert NOTE not in english

    meilin = logged_in(CO)  # the co-unit's staff read it on their own page
    assert ENGLISH in meilin.get(f"/unit/appeals/{number}?lang=en").get_data(as_text=True)
