"""The webhook secret: the configured one, else one derived from the token (pure)."""

from __future__ import annotations

import re

from pydantic import SecretStr

from bot.platforms.telegram.webhook import webhook_secret

TELEGRAM_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
TOKEN = SecretStr("123456:secret-token-value")


def test_a_configured_secret_is_used_as_it_is() -> None:
    assert webhook_secret(SecretStr("mine"), TOKEN) == ("mine", False)


def test_unset_every_gateway_of_one_token_derives_the_same_secret() -> None:
    secret, derived = webhook_secret(None, TOKEN)
    assert derived
    assert webhook_secret(SecretStr(""), TOKEN) == (secret, True)  # empty counts as unset
    assert TELEGRAM_SECRET_TOKEN.fullmatch(secret)
    assert "secret-token-value" not in secret
    assert "123456" not in secret
    assert webhook_secret(None, SecretStr("654321:another-token"))[0] != secret
