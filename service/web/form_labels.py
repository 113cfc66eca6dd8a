"""The labels of each action form's fields on the appeal page (appeal/_forms.html), in the form's
order: the summary at the top of the page names the field of each line of a failed form
(macros.error_summary). Every field an action's schema loads has one (tests/web/test_centre_form_errors.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

FORM_LABELS: dict[str, dict[str, Any]] = {
    # The centre's forms.
    "dispatch": {
        "unit": _l("承办单位"),
        "co_units": _l("协办单位"),
        "category": _l("更正分类（代码）"),
        "area": _l("更正区划（代码）"),
        "urgency": _l("紧急程度"),
        "reason": _l("派单理由"),
    },
    "return-review": {
        "decision": _l("审核结果"),
        "unit": _l("改派至"),
        "co_units": _l("协办单位"),
        "note": _l("审核意见"),
    },
    "extension-review": {"decision": _l("审核结果"), "note": _l("审核意见")},
    "review": {
        "decision": _l("审核结果"),
        "reasons": _l("退回理由"),
        "note": _l("内部备注（仅分拨中心可见）"),
    },
    "press": {"note": _l("催办意见")},
    "raise": {"note": _l("督办意见")},
    "merge": {"master": _l("主件编号"), "reason": _l("并案理由")},
    "reopen": {"attributable": _l("不满意的原因在承办单位"), "reason": _l("重办理由")},
    "dismiss-duplicate": {"other": _l("疑似重复的诉求"), "note": _l("排除理由")},
    "exclude-rating": {"reason": _l("处理"), "note": _l("说明")},
    "evaluate": {
        "contacted": _l("承办单位是否联系过群众？"),
        "resolved": _l("问题是否解决？"),
        "attitude": _l("对办理态度是否满意？"),
        "result": _l("对办理结果是否满意？"),
        "comment": _l("意见（选填）"),
    },
    "close": {"note": _l("办结说明")},
    # The unit's forms.
    "return": {"reason": _l("退单理由"), "basis": _l("依据")},
    "extension": {"days": _l("延期工作日数"), "reason": _l("延期理由")},
    "contribute": {"text": _l("协办意见")},
    "reply": {
        "result": _l("办理结果"),
        "reason": _l("无法解决的原因"),
        "citizen_text": _l("答复群众内容"),
        "internal_note": _l("内部备注"),
        "contacted_citizen": _l("是否已联系群众"),
    },
}
