"""Chinese labels defined as data elsewhere (status names, roles, flag states, figures), marked here for
translation.

`pybabel extract` only finds literal strings inside `_()`-like calls, and `STATUS_LABELS`, `ROLES`
and `FLAG_STATES` are plain dicts, so their values are listed again here with the `N_` marker (see
babel.cfg and README.md). tests/web/test_helpers.py fails when one is missing, so the English
catalogue keeps up.
"""

from __future__ import annotations

from service.text import N_

STATUS_MSGIDS = (
    N_("待分拨"),
    N_("已派单"),
    N_("办理中"),
    N_("退单审核中"),
    N_("答复审核中"),
    N_("已答复"),
    N_("已办结"),
    N_("已并案"),
)

#: The statuses as the citizen reads them (service/appeals/status.py CITIZEN_STATUS_LABELS; the rest
#: are among the STATUS_MSGIDS above).
CITIZEN_STATUS_MSGIDS = (N_("已受理"), N_("已转办"))

#: The citizen's page after a reopen (重办): the status until the new reply, and the earlier round's
#: steps on the timeline (service/appeals/status.py REOPENED_LABEL, SUPERSEDED_ACTIONS).
REOPEN_MSGIDS = (N_("重新办理中"), N_("此前的答复（已重新办理）"), N_("此前的延期（已重新办理）"))

#: The kinds of unit in a responsibility list (responsibility_lists/model.py), as the pages name them:
#: the admin's list of units, and the groups of the co-unit checkboxes on the dispatch forms.
UNIT_KIND_LABELS = {
    "centre": N_("热线中心"),
    "department": N_("区直部门"),
    "township": N_("乡镇（街道）"),
    "other": N_("其他单位"),
}

FLAG_STATE_MSGIDS = (N_("待处理"), N_("已并案"), N_("已排除"))

#: The figures' rates and groups (service.figures.queries) and the reasons a rating is set aside
#: (dispatch.figures.EXCLUSION_REASONS).
RATE_MSGIDS = (
    N_("响应率"),
    N_("解决率"),
    N_("满意率"),
    N_("态度满意率"),
    N_("按时签收率"),
    N_("退单率"),
    N_("按时办结率"),
    N_("重办率"),
    N_("重复来电率"),
)
GROUP_MSGIDS = (N_("乡镇（街道）"), N_("区直部门"), N_("其他单位"))
EXCLUSION_MSGIDS = (N_("恶意评价"), N_("无法联系"), N_("无效评价"))
#: What became of an appeal received, on the figures' volumes (service.figures.volumes.DISPOSITIONS).
DISPOSITION_MSGIDS = (N_("直接办结"), N_("已派单"), N_("待分拨"))

#: A notice's channel and delivery status (service.notices: the senders' `channel`, models.DELIVERY_STATUSES),
#: by the code the notice records.
NOTICE_CHANNEL_LABELS = {"sms": N_("短信"), "email": N_("邮件"), "webhook": N_("接口推送")}
NOTICE_STATUS_LABELS = {
    "pending": N_("待发送"),
    "sending": N_("发送中"),
    "retrying": N_("等待重试"),
    "sent": N_("已发送"),
    "failed": N_("发送失败"),
}

#: The workflow's actions by their words (service/handling/workflow.py TRANSITIONS' labels), as the
#: pages name them (buttons, the timeline, the queues).
TRANSITION_MSGIDS = (
    N_("直接办结"), N_("签收"), N_("退单"), N_("退单审核"), N_("申请延期"), N_("延期审核"), N_("协办意见"),
    N_("答复"), N_("答复审核"), N_("评价"), N_("重办"), N_("并案"), N_("督办"), N_("办结"), N_("评价剔除"),
)  # fmt: skip

ROLE_MSGIDS = (
    N_("话务员"),
    N_("分拨员"),
    N_("审核员"),
    N_("承办单位人员"),
    N_("领导"),
    N_("系统管理员"),
)

#: marshmallow's fixed field messages (English) shown on the pages in the page language; the messages
#: with values (Must be one of: …, Length must be between …) come from `service.validate` as `Text`.
SCHEMA_MESSAGES = {
    "Missing data for required field.": N_("此项为必填项。"),
    "Field may not be null.": N_("此项不能为空。"),
    "Not a valid string.": N_("请输入文字。"),
    "Not a valid integer.": N_("请输入整数。"),
    "Not a valid number.": N_("请输入数字。"),
    "Not a valid boolean.": N_("请选择是或否。"),
    "Not a valid email address.": N_("电子邮件地址格式不正确。"),
    "Not a valid datetime.": N_("日期时间格式不正确。"),
    "Not a valid aware datetime.": N_("请填写带时区的日期时间。"),
    "Not a valid date.": N_("日期格式不正确。"),
    "Special numeric values (nan or infinity) are not permitted.": N_("请输入有限的数字。"),
    "Number too large.": N_("数字过大。"),
    "Invalid type.": N_("此项格式不正确。"),
    "Invalid input type.": N_("此项格式不正确。"),
    "Not a valid mapping type.": N_("此项格式不正确。"),
    "Not a valid list.": N_("此项格式不正确。"),
    "Invalid value.": N_("此项格式不正确。"),
    "Unknown field.": N_("未知的字段。"),
    # service.fields.DayOrInstant (the time-range filters of the searches and the logs)
    "Not a date (2026-01-01) nor a date and time with its time zone (2026-01-01T08:00:00+08:00).": N_(
        "请填写日期（如 2026-01-01），或带时区的日期时间（如 2026-01-01T08:00:00+08:00）。"
    ),
    "A date and time needs its time zone (2026-01-01T08:00:00+08:00); or give a date.": N_(
        "日期时间须带时区（如 2026-01-01T08:00:00+08:00），或只填写日期。"
    ),
}
