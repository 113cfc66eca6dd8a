"""Unit workbench (承办单位): the unit's open appeals by deadline with yellow and red warnings, and
one appeal's page to sign, return, ask for an extension, contribute (co-unit) and reply.

Unit staff see only the appeals assigned to their unit (another's answers 404, like the API) and
the citizen's contact masked, or not at all on a confidential appeal (`queries.appeal_view`).
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from service.web import appeal_page, appeal_submit
from service.web.access import UNIT_ROLES, login_required
from service.web.blueprint import bp
from service.web.centre import work_list
from service.web.unit_actions import UNIT_ACTIONS


@bp.get("/unit")
@login_required(roles=UNIT_ROLES)
def unit() -> Any:
    return render_template("unit/index.html", **work_list("my_unit"))


@bp.get("/unit/appeals/<number>")
@login_required(roles=UNIT_ROLES)
def unit_appeal(number: str) -> Any:
    return appeal_page.show(number, area="unit", actions=UNIT_ACTIONS)


@bp.post("/unit/appeals/<number>/<action>")
@login_required(roles=UNIT_ROLES)
def unit_act(number: str, action: str) -> Any:
    return appeal_submit.act(number, action, area="unit", actions=UNIT_ACTIONS)
