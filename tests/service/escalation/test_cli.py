"""`minyi escalation`: an administrator giving the open appeals their alarms again by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal
from service.escalation.models import AppealAlarm
from tests.service.escalation.steps import alarms
from tests.service.factories import stored
from tests.service.handling_steps import new_appeal


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_replanning_gives_an_open_appeal_its_lost_alarms_again(app, as_user, command_line):
    number = new_appeal(as_user)
    planned = alarms(app, number)
    assert planned
    with stored(app) as s:  # lost, as after a restore of an older backup
        appeal_id = s.scalar(sa.select(Appeal.id).where(Appeal.number == number))
        s.execute(sa.delete(AppealAlarm).where(AppealAlarm.appeal_id == appeal_id))
        s.commit()
    assert alarms(app, number) == []

    result = command_line("escalation", "replan")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 open appeals replanned"
    # The same alarms; those due together (the lead's and a co-unit's sign-for) in any order.
    assert sorted(alarms(app, number)) == sorted(planned)
