"""Leaders' figures (领导): response, resolution and satisfaction rates.

A skeleton: the landing page only, to be replaced by the area's pages.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from service.web.access import FIGURES_ROLES, login_required
from service.web.blueprint import bp


@bp.get("/figures")
@login_required(roles=FIGURES_ROLES)
def figures() -> Any:
    return render_template("figures/index.html")
