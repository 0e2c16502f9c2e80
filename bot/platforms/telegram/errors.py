"""Which Telegram "Bad Request" answers are about the chat rather than the message, and
which are about a story's picture only.

Telegram answers 403 Forbidden when a user blocked the bot or it was kicked, but a bot
that is still a member and lost the right to post (a restricted member, an admin of a
channel without "Post Messages", a closed forum topic) gets 400 Bad Request, the same
status as a malformed message. python-telegram-bot raises BadRequest for both, so the
description is all there is to tell them apart. A refusal of the chat must pause it and
keep its digest (the delivery policy's "blocked"); only a refusal of the message itself
may drop it.
"""

from __future__ import annotations

from bot.platforms.base import DeliveryProblem

#: Lower-case fragments of Bot API descriptions saying the bot may not post in the chat.
_MAY_NOT_POST = (
    "not enough rights to send",  # "...to send text messages / documents to the chat"
    "have no rights to send",  # "have no rights to send a message"
    "have no write access",
    "need administrator rights in the channel",
    "chat_write_forbidden",
    "chat_restricted",
    "chat_send_plain_forbidden",
    "chat_send_docs_forbidden",
    "chat_send_media_forbidden",
    "topic_closed",
)
#: The chat itself is gone.
_GONE = ("chat not found", "topic_deleted", "message thread not found")


def bad_request_problem(description: str) -> DeliveryProblem | None:
    """BLOCKED or GONE when a 400 is about the chat, None when it is about the message."""
    text = description.lower()
    if any(fragment in text for fragment in _MAY_NOT_POST):
        return DeliveryProblem.BLOCKED
    if any(fragment in text for fragment in _GONE):
        return DeliveryProblem.GONE
    return None


#: Lower-case fragments of Bot API descriptions refusing a picture or link preview Telegram
#: could not fetch or use: the message is fine without it.
_PICTURE_REFUSED = (
    "wrong file identifier/http url specified",
    "failed to get http url content",
    "wrong type of the web page content",
    "webpage_media_empty",
    "webpage_curl_failed",
    "wrong remote file identifier",
    "image_process_failed",
    "photo_invalid_dimensions",
    "media_empty",
    "link preview",
)


def picture_refused(description: str) -> bool:
    """Whether a 400 refused the picture shown with a message (its link preview), so the
    same message can go out without it."""
    text = description.lower()
    return any(fragment in text for fragment in _PICTURE_REFUSED)
