"""The secret token Telegram sends with every webhook update, the same in every gateway.

Why: without a secret, anyone who finds the public webhook URL could POST forged updates
(commands "from" any chat or admin), so a webhook always has one. Several gateway
processes may serve one URL behind a load balancer; each registers the webhook at start
(setWebhook), and Telegram keeps only the last registration. A secret made up per process
would leave every other gateway refusing Telegram's updates (403) until it restarted. So
when TELEGRAM_WEBHOOK_SECRET is unset the secret is derived from the bot token, which all
gateways share: the same in each, so registering again changes nothing, and unknown to
anyone without the token (an HMAC reveals nothing of its key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from pydantic import SecretStr

PURPOSE = b"newsdigest telegram webhook secret"


def derived_secret(token: str) -> str:
    """A secret only the token's holders can compute; 43 URL-safe characters.

    URL-safe base64 without padding uses only A-Z a-z 0-9 _ -, the characters Telegram
    allows in ``secret_token`` (at most 256 of them).
    """
    digest = hmac.new(token.encode(), PURPOSE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def webhook_secret(configured: SecretStr | None, token: SecretStr) -> tuple[str, bool]:
    """The secret to register, and whether it was derived (no TELEGRAM_WEBHOOK_SECRET)."""
    secret = configured.get_secret_value() if configured is not None else ""
    if secret:  # an empty value counts as unset
        return secret, False
    return derived_secret(token.get_secret_value()), True
