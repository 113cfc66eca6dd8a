"""The notice channels this installation has configured.

Configuration (keys of the app config; `service/config.py` reads them from the environment):

=================  ========================  ===========================================================
key                environment               meaning
=================  ========================  ===========================================================
SMS_URL            MINYI_SMS_URL             the gateway's http(s) URL; unset: no SMS channel
SMS_TEMPLATE       MINYI_SMS_TEMPLATE        JSON body with placeholders (`senders`); default
                                             ``{"to": "{phone}", "text": "{text}"}``
SMS_TOKEN          MINYI_SMS_TOKEN           sent as ``Authorization: Bearer <token>`` when set
SMTP_URL           MINYI_SMTP_URL            ``smtp://user:pass@host:port`` (add ``?starttls=1`` to
                                             upgrade) or ``smtps://...`` (TLS from the start); unset:
                                             no e-mail channel
MAIL_FROM          MINYI_MAIL_FROM           the From address; required with SMTP_URL
WEBHOOK_SECRET     MINYI_WEBHOOK_SECRET      the HMAC key of webhook signatures; unset: no webhooks
NOTICE_TIMEOUT     MINYI_NOTICE_TIMEOUT      seconds per connection/read on every channel (default 5)
=================  ========================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.notices.senders import DEFAULT_TIMEOUT, Sender, SmsGatewaySender, WebhookSender
from service.notices.smtp import SmtpSender

#: Each channel and the setting that turns it on.
CHANNEL_SETTINGS = (("sms", "SMS_URL"), ("email", "SMTP_URL"), ("webhook", "WEBHOOK_SECRET"))


def configured_channels(config: Mapping[str, Any]) -> frozenset[str]:
    """The names of the channels `senders_from_config` gives, without making the senders: what the
    intake counts on when it tells the operator how the citizen's receipt goes (dispatch/receipts.py)."""
    return frozenset(name for name, setting in CHANNEL_SETTINGS if config.get(setting))


def senders_from_config(config: Mapping[str, Any]) -> dict[str, Sender]:
    """The configured channels by name ("sms", "email", "webhook"); an unconfigured one is absent.

    A setting that is present but wrong (a template that is not JSON, SMTP_URL without MAIL_FROM)
    raises ValueError naming it, so a misconfiguration fails at start-up, not on the first notice.
    """
    timeout = float(config.get("NOTICE_TIMEOUT") or DEFAULT_TIMEOUT)
    on = configured_channels(config)
    senders: dict[str, Sender] = {}
    if "sms" in on:
        senders["sms"] = SmsGatewaySender(
            config["SMS_URL"], config.get("SMS_TEMPLATE"), token=config.get("SMS_TOKEN"), timeout=timeout
        )
    if "email" in on:
        senders["email"] = SmtpSender(config["SMTP_URL"], config.get("MAIL_FROM") or "", timeout=timeout)
    if "webhook" in on:
        senders["webhook"] = WebhookSender(config["WEBHOOK_SECRET"], timeout=timeout)
    return senders
