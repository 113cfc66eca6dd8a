"""Responsibility-list versions (职责清单版本): the stored versions, uploading a file, activating one.

The same operations as `minyi lists check|load|diff|activate`: the file readers of
`responsibility_lists` (`loads_yaml`, `import_xlsx`), `check_list`, `diff_lists`, and
`service.lists.operations.store_version` / `activate_version`. Nothing here checks or compares a
list itself.

An uploaded YAML file may name an `areas_file`: it is looked for among the bundled list files
(`responsibility_lists/`, e.g. `ganxian_areas.csv`), since a browser uploads one file at a time;
otherwise the list carries its areas inline, or comes as an XLSX workbook (which always does).
Uploads are limited by MAX_CONTENT_LENGTH (1 MiB): the default list is 230 KB as YAML and 94 KB as
XLSX.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

import responsibility_lists
from dispatch.calendar import calendar_gaps
from responsibility_lists.check import CheckReport, check_list
from responsibility_lists.diff import ListDiff, diff_lists
from responsibility_lists.loader import ListFormatError, decode_text, loads_yaml
from responsibility_lists.model import ResponsibilityList, from_plain
from service import db
from service.auth.security import current_user
from service.db import utcnow
from service.errors import Conflict
from service.lists.calendar_cover import active_calendar_gap
from service.lists.models import ListVersion
from service.lists.operations import activate_version, active_context, get_version, store_version
from service.web.access import ADMIN_ROLES, login_required
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.helpers import FormErrors
from service.web.labels import N_
from service.web.pages import render_error

#: Where an uploaded YAML's `areas_file` is looked for: beside the bundled lists.
BUNDLED_LISTS_DIR = Path(responsibility_lists.__file__).resolve().parent
LIST_SUFFIXES = (".yaml", ".yml", ".xlsx")


#: The fields a list diff names (responsibility_lists.diff), as the pages call them.
DIFF_FIELDS = {
    "category": N_("分类"),
    "area": N_("区划"),
    "lead": N_("主办单位"),
    "co": N_("协办单位"),
    "limits": N_("时限"),
    "basis": N_("依据"),
    "note": N_("边界说明"),
    "name": N_("名称"),
    "kind": N_("类型"),
    "parent": N_("上级"),
    "contacts": N_("值班联系人"),
    "escalation": N_("督办升级"),
    "keywords": N_("关键词"),
    "usual_types": N_("常见诉求类型"),
    "urgent": N_("性质紧急"),
    "jurisdiction": N_("辖区"),
    "version": N_("版本"),
    "effective": N_("生效日期"),
    "holidays": N_("节假日"),
    "workdays": N_("调休工作日"),
    "working_hours": N_("工作时间"),
}


@bp.app_template_filter("list_field")
def list_field(name: str) -> str:
    """A field of a list diff in the page language: 主办单位 for `lead`, 区划 360704100 for `area 360704100`."""
    field_name, _space, code = name.partition(" ")
    label = DIFF_FIELDS.get(field_name)
    if label is None:
        return name
    return f"{_(label)} {code}" if code else _(label)


@dataclass
class Upload:
    """What became of one uploaded file: its check report and, when stored, the version and diff."""

    filename: str
    report: CheckReport
    calendar_warnings: list[int] = field(default_factory=list)
    lst: ResponsibilityList | None = None


def read_upload(filename: str, data: bytes) -> Upload:
    """Read and check an uploaded list file as `minyi lists check` does a file on disk."""
    try:
        if filename.lower().endswith(".xlsx"):
            from responsibility_lists.xlsx import import_xlsx  # here: openpyxl imports numpy, slow to start

            lst = import_xlsx(io.BytesIO(data), filename=filename)
        else:
            lst = loads_yaml(decode_text(data, filename), filename=filename, base_dir=BUNDLED_LISTS_DIR)
    except ListFormatError as exc:
        return Upload(filename, CheckReport.from_format_error(exc))
    report = check_list(lst)
    # Today in the service's time zone (as the start pages' warning counts it), not the host's: on
    # the first hours of 1 January in Beijing a host on UTC would still say 31 December.
    today = utcnow().astimezone(current_app.config["TZ"]).date()
    return Upload(filename, report, calendar_gaps(lst.calendar, today), lst)


def _versions() -> list[ListVersion]:
    return list(
        db.session().scalars(
            sa.select(ListVersion).order_by(ListVersion.loaded_at.desc(), ListVersion.id.desc())
        )
    )


def _render_lists(errors: FormErrors, status: int = 200) -> Any:
    gap = active_calendar_gap(db.session(), current_app.config["TZ"])
    return render_template("admin/lists.html", versions=_versions(), errors=errors, calendar_gap=gap), status


def _diff_against_active(lst: ResponsibilityList) -> tuple[str | None, ListDiff | None]:
    """The active version's label and the diff from it to `lst` (None, None when none is active)."""
    ctx = active_context(db.session())
    if ctx is None:
        return None, None
    return ctx.label, diff_lists(ctx.lst, lst)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    """A list file over the upload limit: say so beside the file field, not on a bare error page."""
    if request.endpoint == "web.admin_list_upload":
        limit = (request.max_content_length or 0) // 1024
        return _render_lists({"file": [_("文件过大：上传上限为 %(kib)s KiB。", kib=limit)]}, 413)
    return render_error(413)


@bp.get("/admin/lists")
@login_required(roles=ADMIN_ROLES)
def admin_lists() -> Any:
    """职责清单版本: every stored version, newest first, and the upload form."""
    return _render_lists({})


@bp.post("/admin/lists")
@login_required(roles=ADMIN_ROLES)
def admin_list_upload() -> Any:
    """Check an uploaded YAML or XLSX file; with no errors, store it as a new version and show the diff.

    The active version is not touched: activating is a step of its own (`admin_list_activate`).
    """
    upload_file = request.files.get("file")
    filename = Path(upload_file.filename or "").name if upload_file else ""
    if not filename:
        return _render_lists({"file": [_("请选择清单文件（YAML 或 XLSX）。")]}, 422)
    if not filename.lower().endswith(LIST_SUFFIXES):
        return _render_lists({"file": [_("只能上传 .yaml、.yml 或 .xlsx 文件。")]}, 422)
    upload = read_upload(filename, upload_file.read())  # type: ignore[union-attr]
    context: dict[str, Any] = {"upload": upload, "version": None, "created": False, "diff": None}
    status = 200
    if upload.lst is None or not upload.report.ok:
        status = 422
    else:
        user = current_user()
        s = db.session()
        try:
            version, created = store_version(
                s, upload.lst, loaded_by=user.username if user else "", source_name=filename
            )
        except Conflict:
            context["conflict"] = upload.lst.version
            status = 409
        else:
            context.update(version=version, created=created)
            context["active_label"], context["diff"] = _diff_against_active(upload.lst)
    return render_template("admin/list_report.html", **context), status


@bp.route("/admin/lists/<label>/activate", methods=["GET", "POST"])
@login_required(roles=ADMIN_ROLES)
def admin_list_activate(label: str) -> Any:
    """启用: GET shows what would change against the active version; POST (the confirmation) activates."""
    s = db.session()
    version = get_version(s, label)
    if request.method == "POST":
        if version.active:
            flash(N_("版本 %(label)s 已是当前启用版本。"), "info", label=version.label)
        else:
            user = current_user()
            activate_version(s, version, by=user.username if user else "")
            flash(
                N_("已启用职责清单版本 %(label)s：新诉求按此版本分拨，此前的诉求仍按原版本。"),
                "success",
                label=version.label,
            )
        return redirect(url_for("web.admin_lists"))
    active_label, diff = (None, None) if version.active else _diff_against_active(from_plain(version.content))
    return render_template("admin/list_activate.html", version=version, active_label=active_label, diff=diff)
