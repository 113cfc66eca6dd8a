"""Appeal statuses and the enumerations of the record. Pure data."""

from service.text import Text, t

PENDING_DISPATCH = "pending_dispatch"  # 待分拨: waits in the centre's dispatch queue
DISPATCHED = "dispatched"  # 已派单: waits for the lead unit to sign for it
HANDLING = "handling"  # 办理中
RETURN_REQUESTED = "return_requested"  # 退单待审
REPLY_REVIEW = "reply_review"  # 答复待审
REPLIED = "replied"  # 已答复: released to the citizen, waiting for the rating
CLOSED = "closed"  # 已办结
MERGED = "merged"  # 已并案

STATUS_LABELS: dict[str, str] = {
    PENDING_DISPATCH: "待分拨",
    DISPATCHED: "已派单",
    HANDLING: "办理中",
    RETURN_REQUESTED: "退单审核中",
    REPLY_REVIEW: "答复审核中",
    REPLIED: "已答复",
    CLOSED: "已办结",
    MERGED: "已并案",
}

#: The statuses as the service's messages name them (`service.text`: "The appeal is “Closed”…"):
#: English as the English pages say the labels above, Chinese (errors.po) as the labels themselves;
#: tests/service/test_refusal_words.py keeps the three together.
STATUS_NAMES: dict[str, Text] = {
    PENDING_DISPATCH: t("To dispatch"),
    DISPATCHED: t("Dispatched"),
    HANDLING: t("Handling"),
    RETURN_REQUESTED: t("Return under review"),
    REPLY_REVIEW: t("Reply under review"),
    REPLIED: t("Replied"),
    CLOSED: t("Closed"),
    MERGED: t("Merged"),
}

CHANNELS: dict[str, str] = {
    "hotline": "12345热线",
    "web": "网站",
    "app": "移动端",
    "wechat": "微信",
    "email": "电子邮件",
    "letter": "来信",
    "mayor_mailbox": "区长信箱",
    "npc_suggestion": "人大建议",
    "cppcc_proposal": "政协提案",
    "leader_board": "领导留言板",
    "open311": "Open311",
    "other": "其他",
}

#: Per channel, the metadata keys it may carry (anything else is rejected as an unknown field).
#: `sender_address` is where a letter goes back to (an e-mail's: its From address).
CHANNEL_META_FIELDS: dict[str, tuple[str, ...]] = {
    "hotline": ("call_id", "caller_number", "seat", "recording_id"),
    "web": ("client_ip", "user_agent"),
    "app": ("app_user_id", "platform", "app_version"),
    "wechat": ("openid", "message_id"),
    "email": ("sender_address", "message_id", "subject"),
    "letter": ("sender_address", "postmark_date", "tracking_number"),
    "mayor_mailbox": ("message_id", "sender_address"),
    "npc_suggestion": ("suggestion_number", "deputy_name", "session", "sender_address"),
    "cppcc_proposal": ("proposal_number", "member_name", "session", "sender_address"),
    "leader_board": ("message_id", "board"),
    "open311": ("service_request_id", "service_code", "account_id", "device_id"),
    "other": ("reference", "description"),
}

#: The written channels (来信, 区长信箱, 电子邮件, 人大建议, 政协提案): the ones that record where the
#: citizen wrote from (`sender_address`). Their contact's phone is optional: a letter is answered at
#: its postal address, an e-mail at its address (dispatch/receipts.py), and a citizen who gave no
#: way back is told nothing (`no_contact`). A call's contact always has the caller's number.
PHONE_OPTIONAL_CHANNELS = frozenset(c for c, keys in CHANNEL_META_FIELDS.items() if "sender_address" in keys)

#: The channel metadata that identifies the citizen (a number, an address, an account, a device):
#: erased with the contact when the retention period is over. The rest (a call id, a suggestion
#: number, a deputy's name) describes the appeal and stays.
PERSONAL_META_FIELDS = frozenset(
    {
        "caller_number",
        "client_ip",
        "user_agent",
        "app_user_id",
        "openid",
        "sender_address",
        "account_id",
        "device_id",
    }
)

APPEAL_TYPES: tuple[str, ...] = ("咨询", "求助", "投诉", "举报", "建议", "表扬", "其他")
URGENCIES: tuple[str, ...] = ("一般", "紧急", "特急")

#: The result of a unit's reply (答复), with the words the citizen reads.
REPLY_RESULTS: dict[str, str] = {
    "resolved": "已解决",
    "in_progress": "正在解决",
    "unresolvable": "暂无法解决",
}

OPEN_STATUSES = frozenset({PENDING_DISPATCH, DISPATCHED, HANDLING, RETURN_REQUESTED, REPLY_REVIEW, REPLIED})
#: With a unit and no reply released yet: the reply deadline runs.
AWAITING_REPLY = frozenset({DISPATCHED, HANDLING, RETURN_REQUESTED, REPLY_REVIEW})

#: What the citizen reads as the status (the portal, the public API): where their appeal stands for
#: them, not the centre's steps. A unit asking to hand it back (退单审核中) or the centre reviewing
#: the unit's reply (答复审核中) is, to the citizen, still being handled: 办理中.
CITIZEN_STATUS_LABELS: dict[str, str] = {
    PENDING_DISPATCH: "已受理",
    DISPATCHED: "已转办",
    HANDLING: "办理中",
    RETURN_REQUESTED: "办理中",
    REPLY_REVIEW: "办理中",
    REPLIED: "已答复",
    CLOSED: "已办结",
    MERGED: "已并案",
}

#: What the citizen reads as the status of an appeal handled again after a reopen (重办), until the
#: new reply is released: the round, not the step (已转办, 办理中) within it.
REOPENED_LABEL = "重新办理中"

#: The events a citizen sees on the timeline, with their labels (no staff names, no notes).
PUBLIC_ACTIONS: dict[str, str] = {
    "registered": "诉求已受理",
    "dispatched": "已转交承办单位",
    "redispatched": "已改派承办单位",
    "signed": "承办单位已签收",
    "extension_approved": "办理时限已延长",
    "reply_released": "已答复",
    "evaluated": "已评价",
    "reopened": "重新办理",
    "merged": "已并案办理",
    "closed": "已办结",
    "closed_directly": "已当场答复办结",
    "supervised": "已督办",
}

#: The labels of the steps of a round the appeal was reopened after (重办), on the citizen's
#: timeline: the reply the citizen did not accept, the time limit that no longer runs. History,
#: never the answer nor the deadline of the round under way.
SUPERSEDED_ACTIONS: dict[str, str] = {
    "reply_released": "此前的答复（已重新办理）",
    "extension_approved": "此前的延期（已重新办理）",
}
