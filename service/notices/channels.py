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


def senders_from_config(config: Mapping[str, Any]) -> dict[str, Sender]:
    """The configured channels by name ("sms", "email", "webhook"); an unconfigured one is absent.

    A setting that is present but wrong (a template that is not JSON, SMTP_URL without MAIL_FROM)
    raises ValueError naming it, so a misconfiguration fails at start-up, not on the first notice.
    """
    timeout = float(config.get("NOTICE_TIMEOUT") or DEFAULT_TIMEOUT)
    senders: dict[str, Sender] = {}
    if url := config.get("SMS_URL"):
        senders["sms"] = SmsGatewaySender(
            url, config.get("SMS_TEMPLATE"), token=config.get("SMS_TOKEN"), timeout=timeout
        )
    if url := config.get("SMTP_URL"):
        senders["email"] = SmtpSender(url, config.get("MAIL_FROM") or "", timeout=timeout)
    if secret := config.get("WEBHOOK_SECRET"):
        senders["webhook"] = WebhookSender(secret, timeout=timeout)
    return senders
